package prompt

import "context"

type pauseKey struct{}

// WithPause returns a context under which every terminal prompt (the MFA
// code here, kagi's passphrase and key prompts) calls pause before it
// writes its question and the function pause returns once it is answered.
// exec --profiles uses it to stop the runs' output and its progress line
// while a person is asked, so the question does not land inside another
// run's lines (issue 11).
func WithPause(ctx context.Context, pause func() (resume func())) context.Context {
	return context.WithValue(ctx, pauseKey{}, pause)
}

// PauseOutput pauses what WithPause set up on ctx and returns what resumes
// it; with nothing set up, it does nothing.
func PauseOutput(ctx context.Context) (resume func()) {
	if pause, ok := ctx.Value(pauseKey{}).(func() (resume func())); ok && pause != nil {
		return pause()
	}
	return func() {}
}
