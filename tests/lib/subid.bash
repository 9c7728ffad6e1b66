# Editing the host's /etc/subuid and /etc/subgid in tests, safely: under a
# lock shared by every test file that does it, the originals are copied to
# $SUBID_SAVE first and put back byte for byte (with their mode, owner and
# times) afterwards; a copy left there by a run that was killed is put back
# before anything else. Load after ../lib/common.
#
#   subid_save                 the lock, then the copy (call in setup)
#   subid_set FILE LINE...     FILE becomes the original plus these lines
#   subid_add UIDLINE GIDLINE  subid_save, then one line added to each file
#   subid_restore              the originals back, the lock released (teardown)

SUBID_LOCK=/run/oci-run-test-subid.lock
SUBID_SAVE=/var/tmp/oci-run-test-subid

subid_save() {
	exec {SUBID_FD}>"$SUBID_LOCK" || return 1
	flock -w 900 "$SUBID_FD" || fail "lock '$SUBID_LOCK' is busy" || return 1
	if [ -d "$SUBID_SAVE" ]; then
		subid_restore_files || return 1
	fi
	mkdir -p "$SUBID_SAVE.new" &&
		cp -p /etc/subuid /etc/subgid "$SUBID_SAVE.new/" &&
		mv "$SUBID_SAVE.new" "$SUBID_SAVE"
}

subid_restore_files() {
	cp -p "$SUBID_SAVE/subuid" /etc/subuid &&
		cp -p "$SUBID_SAVE/subgid" /etc/subgid &&
		cmp -s "$SUBID_SAVE/subuid" /etc/subuid &&
		cmp -s "$SUBID_SAVE/subgid" /etc/subgid &&
		rm -rf "$SUBID_SAVE"
}

subid_restore() {
	local rc=0
	if [ -n "${SUBID_FD:-}" ]; then
		if [ -d "$SUBID_SAVE" ]; then
			subid_restore_files || rc=1
		fi
		exec {SUBID_FD}>&-
		SUBID_FD=
	fi
	return $rc
}

subid_set() {
	local file=$1 orig
	shift
	orig="$SUBID_SAVE/$(basename "$file")"
	{
		cat "$orig"
		# a last line without its newline stays a line of its own
		[ ! -s "$orig" ] || [ -z "$(tail -c1 "$orig")" ] || echo
		printf '%s\n' "$@"
	} >"$file"
}

subid_add() {
	subid_save || return 1
	subid_set /etc/subuid "$1" && subid_set /etc/subgid "$2"
}
