package cli

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The CI flags: argv → options, for exec and export alike.
func TestCIFlagsArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want any
	}{
		{[]string{"export", "--role-arn", "arn:aws:iam::1:role/x", "--session-tag", "team=infra", "--session-tag", "job=a=b",
			"--transitive-tag", "team", "--source-identity", "alice", "--oidc", "github"},
			exportOptions{Format: "env", Creds: credFlags{RoleARN: "arn:aws:iam::1:role/x", SessionTags: []string{"team=infra", "job=a=b"},
				TransitiveTags: []string{"team"}, SourceIdentity: "alice", OIDC: "github"}}},
		{[]string{"exec", "-u", "--session-tag", "k=", "--", "true"},
			execOptions{Command: []string{"true"}, Creds: credFlags{UsernameSession: true, SessionTags: []string{"k="}}}},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got any
			a.optionsHook = func(o any) error { got = o; return nil }
			root := a.rootCommand(nil)
			root.SetArgs(tc.argv)
			if code := report(io.Err, root.ExecuteContext(context.Background())); code != ExitOK {
				t.Fatalf("exit code %d", code)
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("options = %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestCredFlagsTags(t *testing.T) {
	got, err := credFlags{SessionTags: []string{"team=infra", "expr=a=b", "empty="}}.tags()
	if want := map[string]string{"team": "infra", "expr": "a=b", "empty": ""}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("tags = %v, %v; want %v", got, err, want)
	}
	for _, bad := range [][]string{{"novalue"}, {"=v"}, {"k=1", "k=2"}} {
		if _, err := (credFlags{SessionTags: bad}).tags(); err == nil {
			t.Errorf("%q: no error", bad)
		} else if _, ok := err.(*usageError); !ok {
			t.Errorf("%q: %T, want a usage error", bad, err)
		}
	}
}
