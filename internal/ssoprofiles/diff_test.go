package ssoprofiles

import "testing"

func TestDiff(t *testing.T) {
	before := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	after := "a\nc\nd\ne\nf\ng\nh\ni\nj\nk\n\nnew\n"
	want := `--- cfg
+++ cfg
@@ -1,5 +1,4 @@
 a
-b
 c
 d
 e
@@ -9,3 +8,5 @@
 i
 j
 k
+
+new
`
	if got := Diff("cfg", []byte(before), []byte(after)); got != want {
		t.Errorf("diff:\n%s\nwant\n%s", got, want)
	}
	if got := Diff("cfg", nil, []byte("x\n")); got != "--- cfg\n+++ cfg\n@@ -0,0 +1,1 @@\n+x\n" {
		t.Errorf("from nothing:\n%s", got)
	}
	if Diff("cfg", []byte("x\r\n"), []byte("x\r\n")) != "" {
		t.Error("equal files differ")
	}
}
