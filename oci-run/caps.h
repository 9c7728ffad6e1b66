/* Capabilities through raw capset(2)/prctl(2) (no libcap). */
#ifndef OCI_RUN_CAPS_H
#define OCI_RUN_CAPS_H

#include <stdint.h>

#include "err.h"
#include "spec.h"

/* The highest capability the kernel knows (/proc/sys/kernel/cap_last_cap). */
int run_cap_last(void);
/* Drops from the bounding set every capability not in bounding. */
int run_caps_drop_bounding(uint64_t bounding, struct oci_err **err);
/* Sets effective, permitted, inheritable, then the ambient set. */
int run_caps_apply(const uint64_t sets[RUN_CAP_SETS], struct oci_err **err);

#endif
