// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The few C library functions the compiler may call on its own (struct
 * copies and zeroing) and that we use. Byte loops: RAM is Device memory
 * while the MMU is off, and these are never on a hot path. Built with
 * -fno-tree-loop-distribute-patterns so that GCC does not turn them back
 * into calls to themselves.
 */
#include "fw.h"

void *memset(void *s, int c, size_t n)
{
	volatile u8 *p = s;

	while (n--)
		*p++ = (u8)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile u8 *dp = d;
	const volatile u8 *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const volatile u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
