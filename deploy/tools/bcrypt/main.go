// Command bcrypt prints the bcrypt hash ($2a$, what nats-server and econdip
// accept) of the password read from standard input, without its final
// newline. deploy/compose/gen-secrets.sh uses it for the NATS users'
// password hashes and the first administrator's password:
//
//	printf %s "$password" | go run ./deploy/tools/bcrypt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	raw, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcrypt:", err)
		os.Exit(1)
	}
	pw := strings.TrimRight(string(raw), "\r\n")
	if pw == "" {
		fmt.Fprintln(os.Stderr, "bcrypt: empty password on standard input")
		os.Exit(1)
	}
	// The cost econdip uses for every account (identity.PasswordCost): a first
	// administrator hashed dearer than the rest would be told apart by timing.
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcrypt:", err)
		os.Exit(1)
	}
	fmt.Println(string(hash))
}
