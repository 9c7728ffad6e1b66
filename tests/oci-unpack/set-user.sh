#!/bin/sh
# set-user.sh LAYOUT USER: sets Config.User of LAYOUT's first image.
set -eu
exec "$(dirname "$0")/edit-config.sh" "$1" ".config.User = \"$2\""
