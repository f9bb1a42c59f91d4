/**
 * {@code include/uapi/linux/vfio.h}: the constants in {@link org.jvfio.api.vfio.Vfio} and one
 * record per struct, little-endian and byte-exact.
 *
 * <p>Each struct record is named after its C struct in UpperCamelCase, has its C fields as
 * components in C order (named in lowerCamelCase, {@code __reserved} as {@code reserved}), a {@code
 * SIZE} equal to the C {@code sizeof} on LP64, {@code encode(ByteBuffer)} and a static {@code
 * decode(ByteBuffer)}. Both work on exactly {@code SIZE} bytes at the buffer's position, always
 * little-endian whatever the buffer's order (which they leave unchanged), and advance the position
 * by {@code SIZE}; holes are written as zeros. Flexible array members ({@code data[]}) are not part
 * of a record: their payload is its own struct, encoded after the header.
 *
 * <p>Components carry the raw C bits: {@code __u32} and {@code __s32} are {@code int}, {@code
 * __u64}, {@code __aligned_u64} and user pointers are {@code long}, and {@code __u16} is an {@code
 * int} holding the zero-extended value. Unsigned values with the top bit set are therefore negative
 * in Java: use {@link java.lang.Integer#toUnsignedLong} and {@link java.lang.Long#compareUnsigned}.
 * The records validate nothing; the typed, checked requests live in {@code org.jvfio.core}. Records
 * are immutable and thread-safe; {@code encode} and {@code decode} are as thread-safe as the buffer
 * they are given.
 */
package org.jvfio.api.vfio;
