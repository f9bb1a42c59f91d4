package org.jvfio.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Errno numbers against {@code include/uapi/asm-generic/errno*.h} and {@code linux/errno.h}. */
class ErrnoTest {

  @Test
  void numbers_matchTheGenericHeaders() {
    Map<String, Integer> table =
        Map.ofEntries(
            Map.entry("EPERM", 1),
            Map.entry("EIO", 5),
            Map.entry("EFAULT", 14),
            Map.entry("EINVAL", 22),
            Map.entry("ENOTTY", 25),
            Map.entry("ESPIPE", 29),
            Map.entry("ERANGE", 34),
            Map.entry("EDEADLK", 35),
            Map.entry("ELOOP", 40),
            Map.entry("ENOMSG", 42),
            Map.entry("EBADSLT", 57),
            Map.entry("EBFONT", 59),
            Map.entry("EOVERFLOW", 75),
            Map.entry("EBADFD", 77),
            Map.entry("EOPNOTSUPP", 95),
            Map.entry("ENOTCONN", 107),
            Map.entry("ETIMEDOUT", 110),
            Map.entry("EHWPOISON", 133),
            Map.entry("ERESTARTSYS", 512),
            Map.entry("EPROBE_DEFER", 517),
            Map.entry("ENOPARAM", 519),
            Map.entry("EBADHANDLE", 521),
            Map.entry("ENOTSUPP", 524),
            Map.entry("ENOGRACE", 531));
    table.forEach((name, code) -> assertEquals(code, Errno.valueOf(name).code(), name));
    assertEquals(22, Errno.EINVAL.code());
  }

  @Test
  void values_coverEveryNamedNumberOnceInOrder() {
    Errno[] all = Errno.values();
    assertEquals(133 - 2 + 19, all.length); // 1..133 without 41 and 58, 512..531 without 520
    for (int i = 1; i < all.length; i++) {
      assertTrue(all[i - 1].code() < all[i].code());
    }
    assertTrue(Arrays.stream(all).allMatch(Errno::isNamed));
    assertTrue(Arrays.stream(all).allMatch(e -> Errno.of(e.code()) == e));
  }

  @Test
  void of_anyNumber_isOneCanonicalValue() {
    assertSame(Errno.ETIMEDOUT, Errno.of(110));
    Errno unnamed = Errno.of(41);
    assertSame(unnamed, Errno.of(41));
    assertFalse(unnamed.isNamed());
    assertEquals("errno 41", unnamed.name());
    assertEquals(4095, Errno.of(Errno.MAX_ERRNO).code());
    assertThrows(IllegalArgumentException.class, () -> Errno.of(0));
    assertThrows(IllegalArgumentException.class, () -> Errno.of(4096));
    assertThrows(IllegalArgumentException.class, () -> Errno.valueOf("EBOGUS"));
  }

  @Test
  void aliases_areTheSameObjects() {
    assertSame(Errno.EAGAIN, Errno.EWOULDBLOCK);
    assertSame(Errno.EDEADLK, Errno.EDEADLOCK);
    assertSame(Errno.EAGAIN, Errno.valueOf("EWOULDBLOCK"));
    assertEquals("EAGAIN", Errno.EWOULDBLOCK.toString());
    assertTrue(Errno.EINVAL.compareTo(Errno.ENOTTY) < 0);
  }

  @Test
  void serialization_keepsOneInstancePerNumber() throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(Errno.ETIMEDOUT);
      out.writeObject(Errno.of(600));
    }
    try (java.io.ObjectInputStream in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertSame(Errno.ETIMEDOUT, in.readObject());
      assertSame(Errno.of(600), in.readObject());
    }
  }
}
