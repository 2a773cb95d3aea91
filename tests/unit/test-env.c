// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "../../lib/env.h"
#include "unit.h"

#define DEB_V "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)"

/* The given commit wins; then Ubuntu's signature; then Debian's uname -v. */
static void kernel_commit_sources(void)
{
	char out[256], from[160];

	CHECK(env_kernel_commit("abc123", "Ubuntu 6.8.0-45.45-generic 6.8.12",
				DEB_V, out, sizeof(out), from, sizeof(from)));
	CHECK(!strcmp(out, "abc123") &&
	      !strcmp(from, "COWBENCH_KERNEL_COMMIT"));
	CHECK(env_kernel_commit("", "Ubuntu 6.8.0-45.45-generic 6.8.12\n",
				DEB_V, out, sizeof(out), from, sizeof(from)));
	CHECK(!strcmp(out, "Ubuntu 6.8.0-45.45-generic 6.8.12") &&
	      !strcmp(from, "/proc/version_signature"));
	CHECK(env_kernel_commit(NULL, "", DEB_V, out, sizeof(out), from,
				sizeof(from)));
	CHECK(!strcmp(out, "Debian 6.1.158-1") && !strcmp(from, "uname -v"));
}

/* A self-built kernel's uname -v names no source: unknown, with why. */
static void kernel_commit_never_guessed(void)
{
	char out[256], from[160];

	CHECK(!env_kernel_commit(NULL, NULL, "#1 SMP PREEMPT_DYNAMIC @0", out,
				 sizeof(out), from, sizeof(from)));
	CHECK(!out[0] && !strncmp(from, "unknown: ", 9));
	CHECK(!env_kernel_commit(NULL, NULL, "#1 SMP Debian ", out, sizeof(out),
				 from, sizeof(from)));
}

static void kbuild_info(void)
{
	char out[256];

	CHECK(env_kbuild_commit(
		"definition = x\nsource = git https://git.kernel.org/l.git 0123456789abcdef0123456789abcdef01234567\npatches = \nrelease = 6.18.0\n",
		out, sizeof(out)));
	CHECK(!strcmp(out, "0123456789abcdef0123456789abcdef01234567"));
	CHECK(env_kbuild_commit(
		"source = debian linux-source-6.12 6.12.117-1~deb12u1\npatches = cow-policy-6.12.patch:0123456789abcdef \n",
		out, sizeof(out)));
	CHECK(!strcmp(
		out,
		"Debian 6.12.117-1~deb12u1 (linux-source-6.12) + cow-policy-6.12.patch:0123456789abcdef"));
	CHECK(!env_kbuild_commit("definition = x\n", out, sizeof(out)));
	CHECK(!env_kbuild_commit("source = svn x y\n", out, sizeof(out)));
}

const struct unit_test env_tests[] = {
	{ "env: the kernel commit given, else the distribution's",
	  kernel_commit_sources },
	{ "env: a kernel commit nothing names is null, never guessed",
	  kernel_commit_never_guessed },
	{ "env: kbuild.sh's info names the commit or package and patches",
	  kbuild_info },
};
const int nr_env_tests = sizeof(env_tests) / sizeof(env_tests[0]);
