#!/usr/bin/env zsh
# Complete a command line with the zsh completion in completions/: an
# interactive zsh on a pseudo-terminal (zpty), the line typed into it, then
# a widget that completes at the line's end and prints every match, one a
# line, between two markers.  Used by tests/completion.bats.
#
# usage: zsh -f complete.zsh COMPLETIONS-DIR 'command line'
zmodload zsh/zpty || exit 1
dir=$1 line=$2 out=
zpty z zsh -f -i || exit 1
zpty -w z "PS1= PS2= RPS1=; unset zle_bracketed_paste; fpath=(${(q)dir} \$fpath)"
zpty -w z 'autoload -Uz compinit; compinit -u -D'
# every match added, whichever function adds it
zpty -w z 'compadd() { local -a m; builtin compadd -O m "$@"; matches+=($m); builtin compadd "$@"; }'
zpty -w z 'show-matches() { matches=(); _main_complete; print -rl -- "<<""B>>" ${(u)matches} "<<""E>>" >/dev/tty; }'
zpty -w z 'zle -C show-matches complete-word show-matches; bindkey "^T" show-matches'
zpty -w z 'print RE""ADY'
zpty -r z out '*READY*' || exit 1
zpty -n -w z "$line"$'\C-t'
zpty -r z out '*<<E>>*' || exit 1
zpty -d z
out=${out//$'\r'/}
out=${out##*<<B>>$'\n'}
print -rn -- ${out%%<<E>>*}
