package shellenv

import "strings"

// Init is the code `kagi shell-init SHELL` prints, for the shell's rc file:
// a function named kagi that runs `kagi use ...` as `kagi use --shell SHELL
// ...` and evaluates what it prints (the new environment, on a pipe: no
// secret in argv or in the history, which records what was typed), and
// runs every other `kagi ...` as the program itself with its exit code.
// When kagi use fails it prints no code, so nothing changes in the shell.
// With prompt, it also puts `kagi prompt`'s segment in front of the
// shell's prompt (once, however often the rc file is read); without, the
// comments show how.
func (sh Shell) Init(prompt bool) string {
	var s string
	switch sh {
	case Fish:
		s = fishInit
		if prompt {
			s += fishPrompt
		}
	case PowerShell:
		s = powershellInit
		if prompt {
			s += powershellPrompt
		}
	case Zsh:
		s = strings.ReplaceAll(posixInit, "SHELL", "zsh")
		s = strings.ReplaceAll(s, "RCFILE", "~/.zshrc")
		// zsh expands % sequences in PROMPT after the substitution: a
		// profile named "a%F{red}" is shown as it is, not coloured.
		s = strings.ReplaceAll(s, "SEGMENT", `"${__kagi_s//\%/%%}"`)
		if prompt {
			s += zshPrompt
		} else {
			s += zshPromptHelp
		}
	default:
		s = strings.ReplaceAll(posixInit, "SHELL", "bash")
		s = strings.ReplaceAll(s, "RCFILE", "~/.bashrc")
		s = strings.ReplaceAll(s, "SEGMENT", `"$__kagi_s"`)
		if prompt {
			s += bashPrompt
		} else {
			s += bashPromptHelp
		}
	}
	return s
}

// posixInit is bash's and zsh's. `local` and the assignment are apart so
// that `|| return` sees kagi's exit code, not local's.
const posixInit = `# kagi shell integration for SHELL. Put this line in RCFILE:
#   eval "$(kagi shell-init SHELL)"
# Then 'kagi use PROFILE' sets the profile's credentials, region and
# KAGI_PROFILE in this shell, replacing earlier ones, and 'kagi use --clear'
# removes them. kagi hands the credentials to this function on a pipe: they
# never appear in a program's arguments or in the shell's history.
kagi() {
  if [ "${1-}" = use ]; then
    shift
    local __kagi_code
    __kagi_code=$(command kagi use --shell SHELL "$@") || return
    eval "$__kagi_code"
  else
    command kagi "$@"
  fi
}
# The prompt segment: the profile and the time its credentials have left
# ("prod 42m", "prod EXPIRED"); nothing outside a kagi session.
__kagi_ps1() {
  local __kagi_s
  __kagi_s=$(command kagi prompt 2>/dev/null) && [ -n "$__kagi_s" ] && printf '(%s) ' SEGMENT
  return 0
}
`

const bashPromptHelp = `# To show it, add to ~/.bashrc after this line (or use 'kagi shell-init bash --prompt'):
#   PS1='$(__kagi_ps1)'"$PS1"
`

const bashPrompt = `case $PS1 in *__kagi_ps1*) ;; *) PS1='$(__kagi_ps1)'"$PS1" ;; esac
`

const zshPromptHelp = `# To show it, add to ~/.zshrc after this line (or use 'kagi shell-init zsh --prompt'):
#   setopt PROMPT_SUBST; PROMPT='$(__kagi_ps1)'"$PROMPT"
`

const zshPrompt = `setopt PROMPT_SUBST
case $PROMPT in *__kagi_ps1*) ;; *) PROMPT='$(__kagi_ps1)'"$PROMPT" ;; esac
`

// fishInit: command kagi's code is collected into one string ($pipestatus
// keeps kagi's exit code) and evaluated only when kagi succeeded.
const fishInit = `# kagi shell integration for fish. Put this line in ~/.config/fish/config.fish:
#   kagi shell-init fish | source
# Then 'kagi use PROFILE' sets the profile's credentials, region and
# KAGI_PROFILE in this shell, replacing earlier ones, and 'kagi use --clear'
# removes them. kagi hands the credentials to this function on a pipe: they
# never appear in a program's arguments or in the shell's history.
function kagi --description 'kagi; kagi use changes this shell'
    if test (count $argv) -ge 1; and test "$argv[1]" = use
        set -l __kagi_code (command kagi use --shell fish $argv[2..-1] | string collect)
        set -l __kagi_status $pipestatus[1]
        if test $__kagi_status -ne 0
            return $__kagi_status
        end
        eval $__kagi_code
        # set -e of a variable that is not set fails, and fish's set keeps
        # an earlier failure as its status: kagi succeeded, so does this.
        return 0
    else
        command kagi $argv
    end
end
# The prompt segment: the profile and the time its credentials have left
# ("prod 42m", "prod EXPIRED"); nothing outside a kagi session.
function __kagi_prompt
    set -l __kagi_s (command kagi prompt 2>/dev/null)
    and test -n "$__kagi_s"
    and printf '(%s) ' $__kagi_s
    return 0
end
`

const fishPrompt = `if not functions -q __kagi_orig_fish_prompt
    functions -c fish_prompt __kagi_orig_fish_prompt
    function fish_prompt
        __kagi_prompt
        __kagi_orig_fish_prompt
    end
end
`

// powershellInit: $args after 'use' go on as they are; the code kagi
// prints is evaluated only when it exited 0 ($LASTEXITCODE keeps its code).
const powershellInit = `# kagi shell integration for PowerShell. Put this line in $PROFILE:
#   kagi shell-init powershell | Out-String | Invoke-Expression
# Then 'kagi use PROFILE' sets the profile's credentials, region and
# KAGI_PROFILE in this session, replacing earlier ones, and 'kagi use --clear'
# removes them. kagi hands the credentials to this function on a pipe: they
# never appear in a program's arguments or in the history.
function global:kagi {
    $kagiExe = (Get-Command -Name kagi -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    if ($args.Count -ge 1 -and $args[0] -ceq 'use') {
        $rest = @($args | Select-Object -Skip 1)
        $code = (& $kagiExe use --shell powershell @rest) -join "` + "`n" + `"
        if ($LASTEXITCODE -eq 0) { Invoke-Expression $code }
    } else {
        & $kagiExe @args
    }
}
# The prompt segment: the profile and the time its credentials have left
# ("prod 42m", "prod EXPIRED"); nothing outside a kagi session.
function global:__kagi_prompt {
    $kagiExe = (Get-Command -Name kagi -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    if (-not $kagiExe) { return '' }
    $s = (& $kagiExe prompt 2>$null) -join ''
    if ($s) { "($s) " } else { '' }
}
# To show it (or use 'kagi shell-init powershell --prompt'):
#   $__kagiOrigPrompt = $function:prompt
#   function global:prompt { (__kagi_prompt) + (& $__kagiOrigPrompt) }
`

const powershellPrompt = `if (-not $global:__kagiOrigPrompt) {
    $global:__kagiOrigPrompt = $function:prompt
    function global:prompt { (__kagi_prompt) + (& $global:__kagiOrigPrompt) }
}
`
