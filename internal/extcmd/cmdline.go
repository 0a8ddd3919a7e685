package extcmd

import (
	"errors"
	"strings"
)

// shellArgv is the program and arguments that run a Command.Shell command
// line on the system goos.
//
// On Unix it is /bin/sh -c LINE, as aws-vault and the AWS SDKs for Go run
// credential_process and mfa_process.
//
// On Windows there is no shell in between: the line is split into words
// as the AWS CLI splits credential_process there (botocore's
// compat_shell_split, which follows the C runtime's rules for a command
// line) and the first word is run with the rest as its arguments, so a
// line in ~/.aws/config does the same under kagi as under the AWS CLI and
// boto3. cmd.exe /C LINE (the AWS SDK for Go v2's choice) would read it
// differently: Go quotes the line for a C program, which cmd.exe is not,
// and cmd.exe strips the outer quotes of `"C:\Program Files\x\helper.exe"
// --arg "y"`, the commonest form of such a line on Windows. A line that
// needs cmd.exe's own syntax (&&, %VAR%) says so: `cmd /C ...`.
func shellArgv(goos, line string) (path string, args []string, err error) {
	if goos != "windows" {
		return "/bin/sh", []string{"-c", line}, nil
	}
	words, err := splitWindowsCommandLine(line)
	if err != nil {
		return "", nil, err
	}
	if len(words) == 0 {
		return "", nil, errors.New("its command line is empty")
	}
	return words[0], words[1:], nil
}

// splitWindowsCommandLine splits s into words as botocore's
// _windows_shell_split does, after the C runtime's rules
// (https://learn.microsoft.com/en-us/cpp/cpp/main-function-command-line-args):
// words are separated by spaces and tabs outside double quotes; a double
// quote starts or ends a quoted part; backslashes are literal except in a
// run that ends at a double quote, where each pair is one backslash and an
// odd one left over makes the quote literal. An unclosed quote is an
// error, which never quotes s (it may hold a secret).
func splitWindowsCommandLine(s string) ([]string, error) {
	var (
		words      []string
		b          strings.Builder
		inWord     bool // b holds a word, possibly empty ("")
		quoted     bool
		backslashs int
	)
	flushBackslashes := func() {
		if backslashs > 0 {
			b.WriteString(strings.Repeat(`\`, backslashs))
			backslashs = 0
			inWord = true
		}
	}
	for _, c := range s {
		switch {
		case c == '\\':
			backslashs++
		case c == '"':
			if backslashs > 0 {
				b.WriteString(strings.Repeat(`\`, backslashs/2))
				odd := backslashs%2 == 1
				backslashs = 0
				inWord = true
				if odd {
					b.WriteByte('"')
					continue
				}
			}
			quoted = !quoted
			inWord = true // "" is an empty word
		case (c == ' ' || c == '\t') && !quoted:
			flushBackslashes()
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		default:
			flushBackslashes()
			b.WriteRune(c)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("its command line has a double quote that is not closed")
	}
	flushBackslashes()
	if inWord {
		words = append(words, b.String())
	}
	return words, nil
}

// SplitWindowsCommandLine splits a helper's command line into words as
// kagi runs it on Windows (see shellArgv), for checks that look at its
// program and arguments (kagi doctor).
func SplitWindowsCommandLine(s string) ([]string, error) { return splitWindowsCommandLine(s) }
