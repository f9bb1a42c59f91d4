package org.jvfio.core.vfio;

/**
 * Where a tracker's report walk records dirty ranges: {@code iova_bitmap_set()} as the tracker
 * calls it. An {@link org.jvfio.core.bitmap.IovaBitmap} (the typed door) or a {@link
 * UserBitmapWriter} (the byte door, which pages through the user's bitmap a window at a time).
 */
interface DirtySink {
  /**
   * Records that {@code [iova, iova + length)} is dirty, with the semantics of {@link
   * org.jvfio.core.bitmap.IovaBitmap#set}.
   */
  void set(long iova, long length);
}
