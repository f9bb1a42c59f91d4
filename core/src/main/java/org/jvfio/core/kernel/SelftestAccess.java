package org.jvfio.core.kernel;

import static org.jvfio.api.iommufd.IommufdTest.MOCK_ACCESS_RW_SLOW_PATH;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_ACCESS_RW_WRITE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_ACCESS_SYZ;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_ACCESS_WRITE;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdAccess;
import org.jvfio.core.iommufd.IommufdContext;

/*
 * The selftest's emulated-device driver over an iommufd access, as drivers/iommu/iommufd/selftest.c
 * has it (struct selftest_access): a file ("[iommufd_test_staccess]") whose fd the selftest uses as
 * the access id, a list of pinned items with ids from 0, and the unmap callback
 * (iommufd_test_access_unmap) that unpins every item meeting the range. The ops:
 *  - CREATE_ACCESS (iommufd_test_create_access): EOPNOTSUPP for flags other than
 *    CREATE_NEEDS_PIN_PAGES; a new fd (ENOMEM if none is free, as the kernel maps a failed
 *    get_unused_fd_flags); the access, attached to cmd->id (ENOENT, EADDRINUSE); out_access_fd.
 *  - ACCESS_PAGES (iommufd_test_access_pages): ENOMEM above 16 MiB, EOPNOTSUPP for flags other
 *    than WRITE and SYZ, EBADFD for an fd that is not an access, EOPNOTSUPP for an access created
 *    without NEEDS_PIN_PAGES, then iommufd_access_pin_pages; with a uptr, each pinned page must be
 *    the user page at uptr (less the IOVA's page offset) plus its index: EFAULT for a missing user
 *    page, EBADE for another one (the pin is undone). Returns the item id.
 *  - DESTROY_ACCESS_PAGES: EBADFD, then unpins the item (ENOENT if no such item).
 *  - ACCESS_RW (iommufd_test_access_rw): ENOMEM above 16 MiB, EOPNOTSUPP for flags other than
 *    WRITE, SLOW_PATH and SYZ, EBADFD; for a write, EFAULT if the user buffer is unreadable; then
 *    iommufd_access_rw (SLOW_PATH, which makes the kernel pin instead of copying from the mm, reads
 *    the same bytes); for a read, EFAULT if the user buffer is unwritable.
 *  - ACCESS_REPLACE_IOAS: EBADFD, then iommufd_access_replace.
 * Closing the last fd runs the callback over everything and destroys the access.
 */
final class SelftestAccess extends OpenFile {
  private static final long MAX_LENGTH = 16L * 1024 * 1024; // "Prevent syzkaller ... kvzalloc()"
  private static final int UNION = 16;

  /** An ACCESS_PAGES pin: {@code struct selftest_access_item}. */
  private record Item(long iova, long length, int id) {}

  final IommufdContext ctx; // an access holds its context (iommufd_ctx_get)
  private final List<Item> items = new ArrayList<>(); // guarded by the context's lock
  private volatile IommufdAccess access; // set once created and attached
  private int nextId;

  private SelftestAccess(IommufdContext ctx) {
    this.ctx = ctx;
  }

  /** CREATE_ACCESS: returns the new access file's fd. */
  static int create(FakeKernel kernel, IommufdContext ctx, int ioasId, int flags) {
    UapiException.check(
        (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) == 0,
        Errno.EOPNOTSUPP,
        "create_access flags");
    SelftestAccess file = new SelftestAccess(ctx);
    int fd;
    try {
      fd = kernel.install(file);
    } catch (UapiException e) {
      throw new UapiException(Errno.ENOMEM, "no unused fd");
    }
    IommufdAccess access =
        IommufdAccess.create(
            ctx, (flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) != 0, file::unmap);
    try {
      access.attach(ioasId);
    } catch (UapiException e) {
      access.destroy();
      kernel.uninstall(fd, file);
      throw e;
    }
    file.access = access;
    return fd;
  }

  /** {@code iommufd_access_get}: the access behind {@code fd}, {@code EBADFD} if none. */
  static SelftestAccess get(FakeKernel kernel, int fd) {
    OpenFile f;
    try {
      f = kernel.file(fd);
    } catch (UapiException e) {
      throw new UapiException(Errno.EBADFD, "fd " + fd + " is not open");
    }
    UapiException.check(
        f instanceof SelftestAccess && ((SelftestAccess) f).access != null,
        Errno.EBADFD,
        "fd " + fd + " is not an access");
    return (SelftestAccess) f;
  }

  /**
   * ACCESS_PAGES: pins, records the item and responds with out_access_pages_id; a fault of the
   * response undoes the item and the pin (the id stays used, as the kernel's next_id does).
   */
  static void accessPages(
      FakeKernel kernel,
      ByteBuffer cmd,
      int fd,
      LongPredicate pageExists,
      long pageSize,
      Consumer<ByteBuffer> respond) {
    int flags = cmd.getInt(UNION);
    long iova0 = cmd.getLong(UNION + 8);
    long length = cmd.getLong(UNION + 16);
    long uptr = cmd.getLong(UNION + 24);
    UapiException.check(
        Long.compareUnsigned(length, MAX_LENGTH) <= 0, Errno.ENOMEM, "length above 16 MiB");
    UapiException.check(
        (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ)) == 0,
        Errno.EOPNOTSUPP,
        "access_pages flags");
    SelftestAccess st = get(kernel, fd);
    UapiException.check(st.access.needsPinPages(), Errno.EOPNOTSUPP, "access does not pin pages");
    long iova = (flags & MOCK_FLAGS_ACCESS_SYZ) != 0 ? st.access.syzIova(iova0) : iova0;
    st.access.locked(
        () -> {
          long[] pages = st.access.pinPages(iova, length, (flags & MOCK_FLAGS_ACCESS_WRITE) != 0);
          if (uptr != 0) {
            try {
              checkPages(uptr - (iova & (pageSize - 1)), pages, pageExists, pageSize);
            } catch (UapiException e) {
              st.access.unpinPages(iova, length);
              throw e;
            }
          }
          Item item = new Item(iova, length, st.nextId++);
          st.items.add(item);
          try {
            respond.accept(cmd.putInt(UNION + 4, item.id()).rewind());
          } catch (UapiException e) {
            st.items.remove(item);
            st.access.unpinPages(iova, length);
            throw e;
          }
        });
  }

  /** {@code iommufd_test_check_pages}: the pinned pages are the user's pages from {@code uptr}. */
  private static void checkPages(long uptr, long[] pages, LongPredicate exists, long pageSize) {
    for (int i = 0; i < pages.length; i++) {
      long va = uptr + i * pageSize;
      UapiException.check(exists.test(va), Errno.EFAULT, "no user page");
      UapiException.check(
          (va & -pageSize) == pages[i], Errno.EBADE, "pinned page is not the user's page");
    }
  }

  /** DESTROY_ACCESS_PAGES. */
  static void destroyItem(FakeKernel kernel, int fd, int itemId) {
    SelftestAccess st = get(kernel, fd);
    boolean[] found = new boolean[1];
    st.access.locked(
        () -> {
          for (Iterator<Item> it = st.items.iterator(); it.hasNext(); ) {
            Item item = it.next();
            if (item.id() == itemId) {
              it.remove();
              st.access.unpinPages(item.iova(), item.length());
              found[0] = true;
              return;
            }
          }
        });
    UapiException.check(found[0], Errno.ENOENT, "no access item " + itemId);
  }

  /** ACCESS_RW. */
  static void rw(FakeKernel kernel, ByteBuffer cmd, int fd, UserAddressSpace memory) {
    long iova0 = cmd.getLong(UNION);
    long length = cmd.getLong(UNION + 8);
    long uptr = cmd.getLong(UNION + 16);
    int flags = cmd.getInt(UNION + 24);
    UapiException.check(
        Long.compareUnsigned(length, MAX_LENGTH) <= 0, Errno.ENOMEM, "length above 16 MiB");
    UapiException.check(
        (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ)) == 0,
        Errno.EOPNOTSUPP,
        "access_rw flags");
    SelftestAccess st = get(kernel, fd);
    ByteBuffer tmp;
    boolean write = (flags & MOCK_ACCESS_RW_WRITE) != 0;
    if (write) {
      tmp = memory.read(uptr, (int) length); // EFAULT: copy_from_user
    } else {
      tmp = ByteBuffer.allocate((int) length);
    }
    long iova = (flags & MOCK_FLAGS_ACCESS_SYZ) != 0 ? st.access.syzIova(iova0) : iova0;
    if (write) {
      st.access.write(iova, tmp, memory);
    } else {
      st.access.read(iova, tmp, memory);
      UapiException.check(memory.isWritable(uptr, length), Errno.EFAULT, "buffer unwritable");
      memory.write(uptr, tmp.flip());
    }
  }

  /** ACCESS_REPLACE_IOAS. */
  static void replaceIoas(FakeKernel kernel, int fd, int ioasId) {
    get(kernel, fd).access.replace(ioasId);
  }

  /** {@code iommufd_test_access_unmap}: unpins every item meeting {@code [iova, iova + length)}. */
  private void unmap(long iova, long length) {
    long last = iova + length - 1;
    for (Iterator<Item> it = items.iterator(); it.hasNext(); ) {
      Item item = it.next();
      if (Long.compareUnsigned(iova, item.iova() + item.length() - 1) > 0
          || Long.compareUnsigned(last, item.iova()) < 0) {
        continue;
      }
      it.remove();
      access.unpinPages(item.iova(), item.length());
    }
  }

  /** {@code iommufd_test_staccess_release}. */
  @Override
  void release() {
    if (access != null) {
      access.locked(() -> unmap(0, -1L));
      access.destroy();
    }
  }
}
