// Command baseline only starts and exits: the floor kagi's start-up is
// measured against, built and run in the same benchmark run.
package main

func main() {}
