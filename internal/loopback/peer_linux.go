package loopback

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
)

// procTables are the socket tables searched; a variable for tests.
var procTables = []string{"/proc/net/tcp", "/proc/net/tcp6"}

func checkPeer(server, client *net.TCPAddr) error {
	uid, err := peerUID(procTables, server, client)
	if err != nil {
		return err
	}
	if uid < 0 {
		return nil // no socket table: cannot tell
	}
	if uid != os.Getuid() && uid != 0 {
		return &ForeignError{UID: uid}
	}
	return nil
}

// peerUID is the owner of the client's socket of the connection from
// client to server, both on the loopback: -1 when no table can be read.
func peerUID(tables []string, server, client *net.TCPAddr) (int, error) {
	read := 0
	for _, t := range tables {
		f, err := os.Open(t)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				continue
			}
			return 0, err
		}
		read++
		uid, found, err := scan(f, server, client)
		f.Close()
		if err != nil {
			return 0, err
		}
		if found {
			return uid, nil
		}
	}
	if read == 0 {
		return -1, nil
	}
	return 0, fmt.Errorf("the connection from %s is in no socket table of this system; refused", client)
}

// scan finds the socket whose local address is client and whose remote
// address is server: that is the client's end, and its uid column says
// who made it.
func scan(f *os.File, server, client *net.TCPAddr) (int, bool, error) {
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 4096), 1<<20)
	first := true
	for s.Scan() {
		if first {
			first = false // the header
			continue
		}
		fields := strings.Fields(s.Text())
		if len(fields) < 8 {
			continue
		}
		if !sameAddr(fields[1], client) || !sameAddr(fields[2], server) {
			continue
		}
		uid, err := strconv.Atoi(fields[7])
		if err != nil {
			return 0, false, fmt.Errorf("socket table: uid %q: %v", fields[7], err)
		}
		return uid, true, nil
	}
	return 0, false, s.Err()
}

// sameAddr reports whether the table's "HEXIP:HEXPORT" is a. The address
// is in words of 32 bits in this machine's byte order; an IPv4 address in
// an IPv6 table is the mapped ::ffff:a.b.c.d.
func sameAddr(field string, a *net.TCPAddr) bool {
	ipHex, portHex, ok := strings.Cut(field, ":")
	if !ok {
		return false
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil || int(port) != a.Port {
		return false
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil || len(raw)%4 != 0 {
		return false
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	return ip.Equal(a.IP)
}
