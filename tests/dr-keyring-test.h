/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lock and unlock the default collection of the keyring that tests/with-keyring.sh starts,
 * without a password prompt. */
void dr_keyring_test_lock   (void);
void dr_keyring_test_unlock (void);

G_END_DECLS
