package commandlog

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Hook is a go-redis hook that records each command into the Log carried by
// the command's context; without a Log it only passes the command on. Add it
// with client.AddHook(commandlog.Hook{}).
type Hook struct{}

var _ redis.Hook = Hook{}

// DialHook returns next unchanged: dialling sends no command.
func (Hook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook records a single command as a round trip of its own.
func (Hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		log := FromContext(ctx)
		if log == nil {
			return next(ctx, cmd)
		}
		start := time.Now()
		err := next(ctx, cmd)
		log.record(time.Since(start), err, cmd)
		return err
	}
}

// ProcessPipelineHook records the commands of a pipeline (or a MULTI/EXEC
// transaction) as one round trip.
func (Hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		log := FromContext(ctx)
		if log == nil {
			return next(ctx, cmds)
		}
		start := time.Now()
		err := next(ctx, cmds)
		log.record(time.Since(start), nil, cmds...)
		return err
	}
}
