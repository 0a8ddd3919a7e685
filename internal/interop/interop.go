// Package interop holds tests that drive real clients nobody here wrote (the
// AWS CLI, boto3, moto_server, the AWS SDK for Go v2) against the emulator and
// against kagi. This file has the helpers they share.
//
// Locally a test whose tool is missing skips with the reason. When
// KAGI_INTEROP_REQUIRED=1 (CI sets it) a missing tool fails the test instead,
// so a green CI run means every interop test really ran.
package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// RequiredEnv is the variable that turns a missing tool into a failure.
const RequiredEnv = "KAGI_INTEROP_REQUIRED"

// NeedTool returns the path of the named program, or skips (fails under
// KAGI_INTEROP_REQUIRED=1) when it is not on PATH.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not on PATH")
	}
	return path
}

// NeedAWSCLI returns the AWS CLI on PATH if it reads AWS_ENDPOINT_URL (v1
// from 1.29, v2 from 2.13), which is how the tests point it at the
// emulator; an older one would send their calls to AWS itself. Otherwise
// the test skips (fails under KAGI_INTEROP_REQUIRED=1).
func NeedAWSCLI(t testing.TB) string {
	t.Helper()
	path := NeedTool(t, "aws")
	if !awsReadsEndpointURL(path) {
		v, _ := awsCLIVersion(path)
		Missing(t, fmt.Sprintf("the aws on PATH (%s, version %q) does not read AWS_ENDPOINT_URL (AWS CLI v1 1.29+, v2 2.13+)", path, v.text))
	}
	return path
}

// NeedAWSCLIv2 returns an AWS CLI version 2: the first `aws` on PATH, or
// in /usr/bin or /usr/local/bin (Debian's awscli package), that says it is
// 2.x. Its calls must be pointed at the emulator without AWS_ENDPOINT_URL,
// which versions before 2.13 ignore.
func NeedAWSCLIv2(t testing.TB) string {
	t.Helper()
	var candidates []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir != "" {
			candidates = append(candidates, filepath.Join(dir, "aws"))
		}
	}
	candidates = append(candidates, "/usr/bin/aws", "/usr/local/bin/aws")
	for _, c := range candidates {
		if v, ok := awsCLIVersion(c); ok && v.major == 2 {
			return c
		}
	}
	Missing(t, "no AWS CLI v2 on PATH or in /usr/bin (Debian: apt-get install awscli)")
	return ""
}

// awsReadsEndpointURL says whether the AWS CLI at path reads
// AWS_ENDPOINT_URL.
func awsReadsEndpointURL(path string) bool {
	v, ok := awsCLIVersion(path)
	return ok && v.readsEndpointURL()
}

type awsVersion struct {
	text                string
	major, minor, patch int
}

func (v awsVersion) readsEndpointURL() bool {
	switch v.major {
	case 1:
		return v.minor >= 29
	case 2:
		return v.minor >= 13
	}
	return v.major > 2
}

var awsVersions sync.Map // path -> awsVersion

// awsCLIVersion runs `PATH --version` (once per path) and parses its
// "aws-cli/X.Y.Z" word.
func awsCLIVersion(path string) (awsVersion, bool) {
	if v, ok := awsVersions.Load(path); ok {
		return v.(awsVersion), v.(awsVersion).major > 0
	}
	var v awsVersion
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		out, _ := exec.Command(path, "--version").CombinedOutput()
		for _, w := range strings.Fields(string(out)) {
			if rest, ok := strings.CutPrefix(w, "aws-cli/"); ok {
				v.text = rest
				fmt.Sscanf(rest, "%d.%d.%d", &v.major, &v.minor, &v.patch)
				break
			}
		}
	}
	awsVersions.Store(path, v)
	return v, v.major > 0
}

// Missing skips the test with why, or fails it when tools are required.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequiredEnv) == "1" {
		t.Fatalf("interop: %s (required because %s=1)", why, RequiredEnv)
	}
	t.Skipf("interop: %s (set %s=1 to make this a failure)", why, RequiredEnv)
}

// leakyPrefixes are variables of the machine running the tests that would
// change what a client does: credentials, profiles, CA bundles, proxies,
// and where the user's own stores are (the runtime directory kagi caches
// in, the session bus of the Secret Service, pass's store, XDG homes).
var leakyPrefixes = []string{"AWS_", "KAGI_", "BOTO_", "SSL_CERT_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "ALL_PROXY", "all_proxy",
	"XDG_RUNTIME_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL", "PASSWORD_STORE_DIR", "GNUPGHOME"}

// CleanEnv returns an environment for a child process: the caller's
// environment without anything AWS-, proxy- or CA-related, HOME set to a
// fresh temporary directory, and extra ("KEY=value") appended. The AWS config
// and credentials files point into that HOME, so nothing of the real user's
// ~/.aws is read.
func CleanEnv(t testing.TB, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "HOME" || leaky(name) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"HOME="+home,
		"AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, ".aws", "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"NO_PROXY=127.0.0.1,localhost",
		// kagi's stores, unless extra names others: the file keyring in
		// this HOME and a cache directory of the test's own. Without
		// KAGI_CACHE_DIR kagi would fall back to the real /dev/shm/kagi-UID.
		"KAGI_BACKEND=file",
		"KAGI_FILE_DIR="+filepath.Join(home, "kagi-keyring"),
		"KAGI_CACHE_DIR="+cacheDir(t),
	)
	// os/exec uses the last value of a name given twice: extra wins.
	return append(env, extra...)
}

// cacheDir is a directory of the test's own for kagi's cache: on tmpfs
// where there is one, as kagi wants it, removed when the test ends.
func cacheDir(t testing.TB) string {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "kagi-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// leakyNames are variables kagi itself reads that the machine running the
// tests may set: CI services set CI (which turns kagi's picker and prompts
// off) and GitHub Actions its OIDC request variables; a desktop sets
// BROWSER. A test that wants one sets it itself.
var leakyNames = []string{"CI", "BROWSER", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}

func leaky(name string) bool {
	for _, n := range leakyNames {
		if name == n {
			return true
		}
	}
	for _, p := range leakyPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
