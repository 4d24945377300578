/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Entry from QEMU's virt board reset: the CPU starts at 0x0 (the flash
 * holding this image) with the MMU off, at EL1 (EL2 with
 * virtualization=on). Secondary CPUs stay off under PSCI, but a CPU that
 * gets here anyway parks. Sets up a stack in RAM, copies .data, clears
 * .bss, installs vectors that report any exception, and calls main().
 */
	.section .text.boot, "ax"
	.global _start
_start:
	mrs	x0, mpidr_el1
	and	x0, x0, #0xffffff
	cbnz	x0, park

	ldr	x0, =__stack_top
	mov	sp, x0

	adr	x0, vectors
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.eq	1f
	msr	vbar_el1, x0
	b	2f
1:	msr	vbar_el2, x0
2:	isb

	/* .data: from its load address in flash to RAM, 8 bytes at a time
	 * (the linker script keeps both ends 8-byte aligned) */
	ldr	x0, =__data_start
	ldr	x1, =__data_end
	ldr	x2, =__data_load
3:	cmp	x0, x1
	b.hs	4f
	ldr	x3, [x2], #8
	str	x3, [x0], #8
	b	3b
4:	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
5:	cmp	x0, x1
	b.hs	6f
	str	xzr, [x0], #8
	b	5b
6:	bl	main
	bl	power_off
park:
	wfe
	b	park

/* every vector: the vector's number into x0, then the common report */
	.macro	vec, n
	.balign	0x80
	mov	x0, #\n
	b	exc_common
	.endm

	.balign	0x800
vectors:
	vec	0
	vec	1
	vec	2
	vec	3
	vec	4
	vec	5
	vec	6
	vec	7
	vec	8
	vec	9
	vec	10
	vec	11
	vec	12
	vec	13
	vec	14
	vec	15

exc_common:
	mrs	x4, CurrentEL
	cmp	x4, #(2 << 2)
	b.eq	1f
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	b	2f
1:	mrs	x1, esr_el2
	mrs	x2, elr_el2
	mrs	x3, far_el2
2:	bl	exception
	b	park
