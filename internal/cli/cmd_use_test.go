package cli

import (
	"reflect"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/shellenv"
)

// --clear puts back what kagi use changed as the shell had it before the
// first kagi use (KAGI_USE_SAVED), keeps what the user set since, and
// removes what kagi use set.
func TestUseClearRestores(t *testing.T) {
	keys := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "KAGI_PROFILE"}
	markers := []string{useMarkerVar, useRegionVar, useSavedVar}
	for _, tc := range []struct {
		name  string
		s     useSession
		env   map[string]string
		unset []string
		set   []shellenv.Var
	}{{
		name:  "the user's region, taken by a profile without one",
		s:     useSession{profile: "dev", ours: true, region: "ap-south-1", saved: map[string]string{"AWS_REGION": "ap-south-1"}},
		env:   map[string]string{"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "ap-south-1"},
		set:   []shellenv.Var{{Name: "AWS_REGION", Value: "ap-south-1"}},
		unset: append(append(append([]string{}, keys...), "AWS_DEFAULT_REGION"), markers...),
	}, {
		name:  "replaced by --region, and AWS_PROFILE removed",
		s:     useSession{profile: "prod", ours: true, region: "eu-west-1", saved: map[string]string{"AWS_REGION": "ap-south-1", "AWS_PROFILE": "elsewhere"}},
		env:   map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"},
		set:   []shellenv.Var{{Name: "AWS_REGION", Value: "ap-south-1"}, {Name: "AWS_PROFILE", Value: "elsewhere"}},
		unset: append(append(append([]string{}, keys...), "AWS_DEFAULT_REGION"), markers...),
	}, {
		name:  "set by the user since: kept",
		s:     useSession{profile: "prod", ours: true, region: "eu-west-1", saved: map[string]string{"AWS_PROFILE": "elsewhere"}},
		env:   map[string]string{"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_PROFILE": "mine"},
		unset: append(append(append([]string{}, keys...), "AWS_DEFAULT_REGION"), markers...),
	}, {
		name:  "not a kagi use shell: only the markers",
		s:     useSession{},
		env:   map[string]string{"AWS_REGION": "us-west-2", "AWS_PROFILE": "mine"},
		unset: markers,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.s.clear(config.MapEnv(tc.env))
			if !reflect.DeepEqual(c.Unset, tc.unset) || !reflect.DeepEqual(c.Set, tc.set) {
				t.Errorf("unset %v\nset %v\nwant unset %v\nset %v", c.Unset, c.Set, tc.unset, tc.set)
			}
		})
	}
}
