/*
 * tests/integration/vmm/tiny_guest/tiny_guest.S - the smallest guest the
 * VMM boots: a freestanding program entered through PVH (docs/vmm-boot.md)
 * in 32-bit protected mode with paging off, flat segments, interrupts off.
 *
 * It writes, to the 8250 UART at port 0x3f8 (polling LSR, port 0x3fd, bit 5
 * "transmit holding register empty" before each byte):
 *
 *   tiny-guest: hello
 *   virtio-mmio I magic=74726976 version=V id=D     (one line per device)
 *   tiny-guest: done
 *
 * where the devices are probed at 0xd0000000 + I * 0x1000 for I = 0, 1, ...
 * while the 32-bit word at offset 0 reads 0x74726976 ("virt"), at most 32;
 * V is the word at offset 4 and D the word at offset 8; I, V and D in hex
 * without leading zeros. Then it resets the machine by writing 0xfe to the
 * i8042 command port 0x64 and halts forever should that not stop it.
 *
 * The ELF note XEN_ELFNOTE_PHYS32_ENTRY (type 18, owner "Xen") gives the
 * entry, so vmm_x86_load accepts the ELF; tiny_guest.ld links it at 1 MiB.
 * The stack is 16 KiB at the top of the image (.bss).
 */
#define UART 0x3f8
#define UART_LSR (UART + 5)
#define LSR_THRE 0x20
#define MMIO_BASE 0xd0000000
#define MMIO_STRIDE 0x1000
#define MMIO_MAGIC 0x74726976
#define MAX_DEVICES 32

	.section .note.pvh, "a"
	.p2align 2
	.long 4                 /* n_namesz: "Xen\0" */
	.long 4                 /* n_descsz */
	.long 18                /* n_type: XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	mov $s_hello, %esi
	call puts
	xor %edi, %edi          /* device index */
probe:
	mov %edi, %ebx
	shl $12, %ebx
	add $MMIO_BASE, %ebx    /* this device's registers */
	cmpl $MMIO_MAGIC, (%ebx)
	jne done
	mov $s_dev, %esi
	call puts
	mov %edi, %eax
	call puthex
	mov $s_magic, %esi
	call puts
	mov (%ebx), %eax
	call puthex
	mov $s_version, %esi
	call puts
	mov 4(%ebx), %eax
	call puthex
	mov $s_id, %esi
	call puts
	mov 8(%ebx), %eax
	call puthex
	mov $'\n', %al
	call putc
	inc %edi
	cmp $MAX_DEVICES, %edi
	jb probe
done:
	mov $s_done, %esi
	call puts
	mov $0xfe, %al
	out %al, $0x64          /* i8042: pulse the reset line */
1:	hlt
	jmp 1b

/* putc: write %al to the UART once it can take a byte. Keeps registers. */
putc:
	push %edx
	push %eax
	mov $UART_LSR, %dx
2:	in %dx, %al
	test $LSR_THRE, %al
	jz 2b
	pop %eax
	mov $UART, %dx
	out %al, %dx
	pop %edx
	ret

/* puts: write the NUL-terminated string at %esi. Clobbers %eax, %esi. */
puts:
	lodsb
	test %al, %al
	jz 3f
	call putc
	jmp puts
3:	ret

/* puthex: write %eax in hex without leading zeros (at least one digit).
 * Clobbers %eax, %ecx, %edx. */
puthex:
	mov %eax, %edx
	mov $28, %ecx
4:	mov %edx, %eax
	shr %cl, %eax
	and $0xf, %eax
	jnz 5f
	test %ecx, %ecx         /* the last digit is printed even when 0 */
	jz 5f
	sub $4, %ecx
	jmp 4b
5:	mov %edx, %eax
	shr %cl, %eax
	and $0xf, %eax
	cmp $10, %al
	jb 6f
	add $('a' - '0' - 10), %al
6:	add $'0', %al
	call putc
	sub $4, %ecx
	jns 5b
	ret

	.section .rodata
s_hello:   .asciz "tiny-guest: hello\n"
s_dev:     .asciz "virtio-mmio "
s_magic:   .asciz " magic="
s_version: .asciz " version="
s_id:      .asciz " id="
s_done:    .asciz "tiny-guest: done\n"

	.bss
	.p2align 4
	.skip 16384
stack_top:
