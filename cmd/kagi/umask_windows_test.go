package main

// hermeticUmask: Windows has no umask.
func hermeticUmask() {}
