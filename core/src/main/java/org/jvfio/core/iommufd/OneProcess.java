package org.jvfio.core.iommufd;

import java.nio.ByteBuffer;
import org.jvfio.core.vfio.UserAccess;

/**
 * The mm of {@link UserPages#currentMm}'s default: the one process of a context whose {@link
 * UserPages} knows no others. It never exits and pins as its {@code UserPages} does; its bytes are
 * only ever moved through the caller's memory (it is always the current mm), so its own are {@code
 * EFAULT}.
 */
record OneProcess(UserPages pages) implements UserMm {
  @Override
  public boolean isLive() {
    return true;
  }

  @Override
  public boolean canPin(long userVa, long length, boolean write) {
    return pages.canPin(userVa, length, write);
  }

  @Override
  public ByteBuffer read(long address, int length) {
    return UserAccess.NONE.read(address, length);
  }

  @Override
  public void write(long address, ByteBuffer source) {
    UserAccess.NONE.write(address, source);
  }

  @Override
  public boolean isAccessible(long address, long length) {
    return UserAccess.NONE.isAccessible(address, length);
  }
}
