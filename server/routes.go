package server

import "io/fs"

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
	e.GET("/tutorial", a.showTutorial)
	e.GET("/healthz", a.health)
	e.StaticFS("/static", static)
	e.FileFS("/favicon.ico", "favicon.svg", static) // asked for by browsers on any page, JSON too
}
