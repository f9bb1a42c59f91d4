package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.GuestMemory;

/** An {@link IommufdAccess} used after {@link IommufdAccess#destroy}: a driver bug, refused. */
class IommufdAccessEdgesTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final int ioas = ctx.ioasAlloc(0);

  @Test
  void attachOrReplace_afterDestroy_isIllegalState() {
    IommufdAccess detached = IommufdAccess.create(ctx, true, (iova, length) -> {});
    detached.destroy();
    assertThrows(IllegalStateException.class, () -> detached.attach(ioas));
    IommufdAccess attached = IommufdAccess.create(ctx, true, (iova, length) -> {});
    attached.attach(ioas);
    attached.destroy();
    assertThrows(IllegalStateException.class, () -> attached.replace(ioas));
  }
}
