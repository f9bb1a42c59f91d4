package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_VEVENTQ_FLAG_LOST_EVENTS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommufdVeventHeader;
import org.jvfio.core.UapiException;

/**
 * A vIOMMU event queue ({@code IOMMUFD_OBJ_VEVENTQ}, {@code struct iommufd_veventq}): the events of
 * one type that a vIOMMU reports, read from the queue's fd as {@code struct iommufd_vevent_header}
 * followed by the event's data ({@code drivers/iommu/iommufd/eventq.c}, {@code
 * iommufd_veventq_fops_read}; {@code driver.c}, {@code iommufd_viommu_report_event}).
 *
 * <p>The queue holds at most {@code veventq_depth} events. An event reported to a full queue is
 * lost: the queue's one lost-events header (flag {@code IOMMU_VEVENTQ_FLAG_LOST_EVENTS}, no data)
 * goes to its tail instead, taking the next sequence number, and stays the tail until a new event
 * or a read moves past it. Every event and every placement of the lost-events header takes the next
 * {@code sequence}, from 0, wrapping from {@code INT_MAX} to 0, so a reader sees a gap where events
 * were lost.
 *
 * <p>Thread-safety: safe; each method holds the queue's lock ({@code eventq->lock}).
 */
public final class Veventq {
  /** {@code VEVENTQ_MAX_DEPTH}: the largest {@code veventq_depth}, {@code 1 << 19}. */
  static final int MAX_DEPTH = 1 << 19;

  /** One queued event; {@code data} is null for the lost-events header. */
  private static final class Vevent {
    final byte[] data;
    int sequence;

    Vevent(byte[] data) {
      this.data = data;
    }
  }

  /** Where a read copies its bytes: {@code copy_to_user} at an offset of the user buffer. */
  @FunctionalInterface
  public interface UserBuffer {
    /**
     * Copies {@code bytes} to the user buffer at {@code offset}.
     *
     * @param offset the offset in the user buffer
     * @param bytes the bytes, from position to limit
     * @throws UapiException {@code EFAULT} if the user memory is not writable
     */
    void write(long offset, ByteBuffer bytes);
  }

  private final int type;
  private final int depth;
  private final Vevent lostEventsHeader = new Vevent(null);
  private final ArrayDeque<Vevent> deliver = new ArrayDeque<>();
  private int numEvents;
  private int sequence;
  private volatile boolean fileOpen = true; // the fd's reference on the object

  Veventq(int type, int depth) {
    this.type = type;
    this.depth = depth;
  }

  /**
   * Returns the event type the queue receives.
   *
   * @return the {@code type} it was allocated with
   */
  public int type() {
    return type;
  }

  /**
   * Returns the most events the queue holds.
   *
   * @return the {@code veventq_depth} it was allocated with
   */
  public int depth() {
    return depth;
  }

  /**
   * The queue part of {@code iommufd_viommu_report_event}: queues a copy of {@code data}, or the
   * lost-events header if {@link #depth()} events are queued ({@code iommufd_vevent_handler}).
   *
   * @param data the event's data, not empty
   */
  public synchronized void report(byte[] data) {
    Vevent vevent = lostEventsHeader;
    if (numEvents != depth) {
      vevent = new Vevent(data.clone());
      numEvents++;
    }
    if (deliver.peekLast() == lostEventsHeader) {
      deliver.removeLast();
    }
    deliver.addLast(vevent);
    vevent.sequence = sequence;
    sequence = (sequence + 1) & Integer.MAX_VALUE;
  }

  /**
   * The release of the queue's fd ({@code iommufd_eventq_fops_release}): drops the fd's reference
   * on the object, after which {@code IOMMU_DESTROY} may destroy it.
   */
  public void releaseFile() {
    fileOpen = false;
  }

  boolean fileOpen() {
    return fileOpen;
  }

  /**
   * Whether a read would return something ({@code EPOLLIN} of {@code iommufd_eventq_fops_poll}).
   *
   * @return true if an event or the lost-events header is queued
   */
  public synchronized boolean readable() {
    return !deliver.isEmpty();
  }

  /**
   * {@code iommufd_veventq_fops_read}: copies whole events, oldest first, while they fit in {@code
   * count} bytes; the lost-events header (8 bytes) goes out alone, with its sequence. An event that
   * does not fit stays queued; so does one whose copy faults.
   *
   * @param count the user's {@code count}, unsigned
   * @param buf where the bytes go
   * @return the bytes copied, 0 if the queue is empty
   * @throws UapiException {@code EINVAL} if {@code count} is below 8 or the first event does not
   *     fit; {@code EFAULT} if the first copy faults
   */
  public synchronized long read(long count, UserBuffer buf) {
    int hdrSize = IommufdVeventHeader.SIZE;
    UapiException.check(
        Long.compareUnsigned(count, hdrSize) >= 0, Errno.EINVAL, "read below a vEVENT header");
    long done = 0;
    Errno rc = null;
    while (!deliver.isEmpty()) {
      Vevent cur = deliver.removeFirst();
      boolean lost = cur == lostEventsHeader;
      long left = count - done;
      if (Long.compareUnsigned(left, hdrSize) < 0) {
        deliver.addFirst(cur);
        break;
      }
      if (!lost && Long.compareUnsigned(left, hdrSize + cur.data.length) < 0) {
        deliver.addFirst(cur);
        rc = done == 0 ? Errno.EINVAL : null;
        break;
      }
      ByteBuffer hdr = ByteBuffer.allocate(hdrSize).order(ByteOrder.LITTLE_ENDIAN);
      new IommufdVeventHeader(lost ? IOMMU_VEVENTQ_FLAG_LOST_EVENTS : 0, cur.sequence).encode(hdr);
      try {
        buf.write(done, hdr.flip());
        if (!lost) {
          buf.write(done + hdrSize, ByteBuffer.wrap(cur.data));
        }
      } catch (UapiException fault) {
        deliver.addFirst(cur);
        rc = Errno.EFAULT;
        break;
      }
      if (!lost) {
        numEvents--;
      }
      done += hdrSize + (lost ? 0 : cur.data.length);
    }
    if (done == 0 && rc != null) {
      throw new UapiException(rc, "vEVENTQ read");
    }
    return done;
  }
}
