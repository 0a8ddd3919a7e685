// Package loopback tells who is on the other end of a connection to a
// listener on 127.0.0.1. Every local user can connect to a loopback port,
// and the URLs kagi opens in a browser are in the browser's argv, which
// every user can read (/proc/PID/cmdline, ps). So kagi's one-time
// listeners (the console's redirect link, the Identity Center sign-in
// callback) serve only connections made by a process of the user running
// kagi (or root, who can read kagi's memory anyway), where the system
// says who made them: on Linux, the socket table in /proc/net/tcp{,6}
// names the owner of the client's socket, as identd reads it. Elsewhere
// there is no such table, and the one-time use of the listener and the
// random path or state are the protection.
package loopback

import (
	"fmt"
	"net"
	"net/http"
)

// ForeignError is a connection made by a process of another user.
type ForeignError struct{ UID int }

func (e *ForeignError) Error() string {
	return fmt.Sprintf("a process of another user (uid %d) connected to kagi's loopback listener; refused", e.UID)
}

// CheckRequest returns nil when the connection r came on was made by a
// process of this user or of root, or when this system cannot tell; a
// *ForeignError when another user made it; another error when the
// connection cannot be found in the system's socket table (refuse it).
func CheckRequest(r *http.Request) error {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return fmt.Errorf("the listener's address of a connection from %s is not known", r.RemoteAddr)
	}
	server, err := net.ResolveTCPAddr("tcp", local.String())
	if err != nil {
		return err
	}
	client, err := net.ResolveTCPAddr("tcp", r.RemoteAddr)
	if err != nil {
		return err
	}
	return checkPeer(server, client)
}
