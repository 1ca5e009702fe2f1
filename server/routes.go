package server

import "io/fs"

// The two health checks a platform can probe. Liveness says the process
// serves requests, so a platform that restarts on failure should ask it;
// readiness adds that Redis answers, for a platform that only routes
// traffic to ready instances.
const (
	LivenessPath  = "/livez"
	ReadinessPath = "/healthz"
)

// isHealthPath reports whether p is one of the health checks, which answer
// JSON, plain HTTP included.
func isHealthPath(p string) bool { return p == LivenessPath || p == ReadinessPath }

func (a *App) routes(static fs.FS) {
	e := a.echo
	e.GET("/", a.showIndex)
	e.GET("/api/session", a.showSessionJSON)
	e.POST("/value", a.regenerateValue)
	e.POST("/set", a.setVariable)
	e.POST("/delete", a.deleteVariable)
	e.POST("/rotate", a.rotateSession)
	e.POST("/destroy", a.destroySession)
	e.GET("/sessions", a.showSessions)
	e.GET("/lab/fixation", a.showFixationLab)
	e.POST("/lab/fixation", a.runFixationLab)
	e.GET("/lab/race", a.showRaceLab)
	e.POST("/lab/race", a.runRaceLab)
	e.GET("/tutorial", a.showTutorial)
	e.GET(ReadinessPath, a.checkReady)
	e.GET(LivenessPath, a.checkLive)
	e.StaticFS("/static", static)
	e.FileFS("/favicon.ico", "favicon.svg", static) // asked for by browsers on any page, JSON too
}
