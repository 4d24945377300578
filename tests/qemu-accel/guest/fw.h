/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guestfw: a bare-metal aarch64 guest that plays a guest OS's SMMUv3
 * driver (see README in this directory). Common definitions.
 *
 * The MMU stays off, so every data access is Device-nGnRnE: no unaligned
 * accesses (-mstrict-align), and MMIO goes through the accessors below.
 */
#ifndef GUESTFW_H
#define GUESTFW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define BIT(n)			(1ULL << (n))
#define GENMASK(h, l)		((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define FIELD_PREP(m, v)	(((u64)(v) << __builtin_ctzll(m)) & (m))
#define FIELD_GET(m, v)		(((u64)(v) & (m)) >> __builtin_ctzll(m))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define __aligned(x)		__attribute__((aligned(x)))
#define PAGE_SIZE		4096UL

/*
 * MMIO accessors. Under KVM every MMIO access traps to the VMM, which can
 * only emulate a load/store whose syndrome it gets (ESR.ISV): a single
 * LDR/STR without writeback. A plain volatile dereference may compile to
 * LDP/STP or a post-indexed form, so the instruction is spelled out. The
 * DSBs order MMIO against our writes to the tables the SMMU and the
 * device read (and their writes we read back), as Linux's writel/readl.
 */
static inline u32 readl(u64 a)
{
	u32 v;

	asm volatile("ldr %w0, [%1]\n\tdsb sy" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline u64 readq(u64 a)
{
	u64 v;

	asm volatile("ldr %0, [%1]\n\tdsb sy" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline u16 readw(u64 a)
{
	u16 v;

	asm volatile("ldrh %w0, [%1]\n\tdsb sy" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline u8 readb(u64 a)
{
	u8 v;

	asm volatile("ldrb %w0, [%1]\n\tdsb sy" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void writel(u32 v, u64 a)
{
	asm volatile("dsb sy\n\tstr %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline void writeq(u64 v, u64 a)
{
	asm volatile("dsb sy\n\tstr %x0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline void writew(u16 v, u64 a)
{
	asm volatile("dsb sy\n\tstrh %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline void mb(void)
{
	asm volatile("dsb sy" : : : "memory");
}

/* lib.c */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);

/* uart.c: PL011 console and the generic timer */
void uart_init(void);
void putchar_(char c);
void puts_(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int uart_getc_timeout(u64 ms);
u64 now_ms(void);
u64 now_us(void);
void mdelay(u64 ms);

/* fdt.c: what the device tree QEMU left at the start of RAM says */
#define MAX_SMMUS 4
struct platform {
	u64 smmu_base[MAX_SMMUS];
	u32 smmu_phandle[MAX_SMMUS];
	int nr_smmus;
	u64 ecam_base, ecam_size;
	u64 mmio_base, mmio_size;	/* 32-bit PCI memory window (CPU = PCI addr) */
	u32 iommu_map[4];		/* rid-base, phandle, sid-base, length */
	bool have_iommu_map;
	u64 ram_base, ram_size;
};
int fdt_scan(u64 addr, struct platform *p);

/* pci.c: ECAM config space */
void pci_init(u64 ecam_base, u64 ecam_size);
u32 pci_read32(u32 bdf, u32 off);
u16 pci_read16(u32 bdf, u32 off);
u8 pci_read8(u32 bdf, u32 off);
void pci_write32(u32 bdf, u32 off, u32 v);
void pci_write16(u32 bdf, u32 off, u16 v);
int pci_find(u16 vendor, u16 device, u32 *bdf);
int pci_find_cap(u32 bdf, u8 id, u32 start);
int pci_assign_bars(u32 bdf, u64 *next, u64 end, u64 bar_addr[6]);
void pci_print_bdf(u32 bdf);

/* main.c */
void power_off(void) __attribute__((noreturn));

#endif
