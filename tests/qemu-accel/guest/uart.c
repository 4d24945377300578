// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Console on the virt board's PL011 (0x09000000, the address is fixed by
 * hw/arm/virt.c) and time from the generic timer's virtual counter.
 */
#include "fw.h"

#define UART_BASE	0x09000000UL
#define UART_DR		0x00
#define UART_FR		0x18
#define  FR_RXFE	BIT(4)
#define  FR_TXFF	BIT(5)
#define UART_LCR_H	0x2c
#define  LCR_H_FEN	BIT(4)
#define  LCR_H_WLEN8	(3 << 5)
#define UART_CR		0x30
#define  CR_UARTEN	BIT(0)
#define  CR_TXE		BIT(8)
#define  CR_RXE		BIT(9)

void uart_init(void)
{
	/* firmware owns the UART: nobody enabled it (QEMU resets CR to
	 * TXE|RXE without UARTEN), and the harness needs RX */
	writel(LCR_H_WLEN8 | LCR_H_FEN, UART_BASE + UART_LCR_H);
	writel(CR_UARTEN | CR_TXE | CR_RXE, UART_BASE + UART_CR);
}

void putchar_(char c)
{
	if (c == '\n')
		putchar_('\r');
	while (readl(UART_BASE + UART_FR) & FR_TXFF)
		;
	writel((u8)c, UART_BASE + UART_DR);
}

void puts_(const char *s)
{
	while (*s)
		putchar_(*s++);
}

static u64 cntfrq(void)
{
	u64 v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v ? v : 62500000;	/* QEMU's default if firmware left it 0 */
}

static u64 cntvct(void)
{
	u64 v;

	asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

u64 now_ms(void)
{
	return cntvct() / (cntfrq() / 1000);
}

u64 now_us(void)
{
	return cntvct() / (cntfrq() / 1000000);
}

void mdelay(u64 ms)
{
	u64 end = now_ms() + ms;

	while (now_ms() < end)
		;
}

/* one byte from the harness, or -1 after ms milliseconds */
int uart_getc_timeout(u64 ms)
{
	u64 end = now_ms() + ms;

	do {
		if (!(readl(UART_BASE + UART_FR) & FR_RXFE))
			return (int)(readl(UART_BASE + UART_DR) & 0xff);
	} while (now_ms() < end);
	return -1;
}

/* ---- a small printf: %c %s %d %u %x %p, flags 0 and width, l and ll ---- */

static int put_num(u64 v, unsigned int base, bool neg, int width, char pad)
{
	char buf[24];
	int n = 0, out = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		width--;
	if (neg && pad == '0') {
		putchar_('-');
		out++;
	}
	for (; width > n; width--, out++)
		putchar_(pad);
	if (neg && pad != '0') {
		putchar_('-');
		out++;
	}
	while (n) {
		putchar_(buf[--n]);
		out++;
	}
	return out;
}

int vprintf(const char *fmt, va_list ap)
{
	int out = 0;

	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		bool alt = false;
		u64 v;

		if (*fmt != '%') {
			putchar_(*fmt);
			out++;
			continue;
		}
		fmt++;
		if (*fmt == '#') {
			alt = true;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'c':
			putchar_((char)va_arg(ap, int));
			out++;
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = (int)strlen(s);

			for (; width > len; width--, out++)
				putchar_(' ');
			puts_(s);
			out += len;
			break;
		}
		case 'd': {
			long long sv = lng ? va_arg(ap, long long) : va_arg(ap, int);

			out += put_num(sv < 0 ? -(u64)sv : (u64)sv, 10, sv < 0,
				       width, pad);
			break;
		}
		case 'u':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			out += put_num(v, 10, false, width, pad);
			break;
		case 'p':
			alt = true;
			lng = 1;
			/* fall through */
		case 'x':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned int);
			if (alt) {	/* the width counts the prefix, as in C */
				puts_("0x");
				out += 2;
				width -= 2;
			}
			out += put_num(v, 16, false, width, pad);
			break;
		case '%':
			putchar_('%');
			out++;
			break;
		default:
			putchar_('?');
			out++;
			break;
		}
	}
	return out;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
