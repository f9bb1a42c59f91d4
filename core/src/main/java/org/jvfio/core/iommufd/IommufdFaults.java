package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_INVALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_SUCCESS;

import com.google.common.collect.ImmutableList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptPageResponse;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext.Device;
import org.jvfio.core.iommufd.IommufdContext.HwPagetable;
import org.jvfio.core.iommufd.IommufdContext.Obj;

/**
 * The fault queues of one iommufd context ({@code IOMMUFD_OBJ_FAULT}) and the IO page fault path
 * that feeds them: {@code IOMMU_FAULT_QUEUE_ALLOC}, the queue fd's read of {@code struct
 * iommu_hwpt_pgfault} records and write of {@code struct iommu_hwpt_page_response}s ({@code
 * iommufd_fault_alloc}, {@code iommufd_fault_fops_read}, {@code iommufd_fault_fops_write} and
 * {@code iommufd_auto_response_faults} of {@code drivers/iommu/iommufd/eventq.c}), and {@code
 * iommu_report_device_fault} of {@code drivers/iommu/io-pgfault.c}, the hardware side.
 *
 * <p><b>Delivery.</b> A HWPT allocated with {@code IOMMU_HWPT_FAULT_ID_VALID} holds a queue. A
 * fault goes to the HWPT attached at its PASID ({@code PASID_VALID}) or at the device's RID; a
 * PASID with no attachment falls back to a nested HWPT at the RID, as for a driver with {@code
 * user_pasid_table} (the mock). With no such HWPT, or one without a queue, the device gets {@code
 * IOMMUFD_PAGE_RESP_INVALID} at once. A fault without {@code LAST_PAGE} waits with the device; the
 * one with {@code LAST_PAGE} takes every waiting fault of its {@code grpid} into a group, in report
 * order, which joins the tail of the queue.
 *
 * <p><b>Reading</b> ({@link #read}): {@code count} must be a multiple of {@value
 * IommuHwptPgfault#SIZE} ({@code ESPIPE}, the kernel's choice); whole groups move, oldest first,
 * while they fit; each gets a cookie (the lowest free from 1) and waits for its response. An empty
 * queue reads 0 (the read never blocks). A record that cannot be copied stops the read ({@code
 * EFAULT} if nothing was read) and puts its group back at the head; records of that group copied
 * before it still count, so they are read again (upstream behaviour, modelled).
 *
 * <p><b>Answering</b> ({@link #write}): {@code count} must be a multiple of {@value
 * IommuHwptPageResponse#SIZE} ({@code ESPIPE}); each response's {@code code} must be {@code
 * SUCCESS} or {@code INVALID} and its {@code cookie} a group waiting for its response ({@code
 * EINVAL}); the device gets the response for the group's last fault. The write stops at the first
 * bad response and returns the bytes done before it, or the error if none. <b>Upstream quirk,
 * modelled:</b> a response that cannot be copied from user memory stops the write too, but the
 * kernel returns what {@code copy_from_user} left uncopied (a positive count, 8 for an unreadable
 * struct) instead of {@code -EFAULT}.
 *
 * <p><b>Leaving a HWPT</b> (detach, replace, PASID detach or replace, unbind): the groups of that
 * attachment still in the old HWPT's queue, read or not, are answered {@code INVALID} and dropped
 * ({@code iommufd_auto_response_faults} with the old HWPT, as fixed upstream). When a device holds
 * no fault-capable attachment any more its waiting partial faults are dropped ({@code
 * iopf_queue_remove_device}). Destroying a queue is {@code EBUSY} while a HWPT uses it or its fd is
 * open; by then it is empty (no attachment to it is left to hold a group).
 *
 * <p><b>Devices.</b> Only the mock IOMMU's devices take a fault-capable HWPT: the mock enables IOPF
 * on attach ({@code mock_dev_enable_iopf}); a vendor IOMMU needs PRI on the device, which jvfio's
 * devices lack, and the attach is {@code ENODEV} as VT-d's {@code intel_iommu_enable_iopf} answers.
 *
 * <p>Thread-safety: every method runs under the context's lock.
 */
public final class IommufdFaults {
  private static final int RESPONSE_LOG = 1024;
  private static final long FAULT_SIZE = IommuHwptPgfault.SIZE;
  private static final long RESPONSE_SIZE = IommuHwptPageResponse.SIZE;

  private final IommufdContext ctx;
  private final Map<Device, List<IopfFault>> partial = new HashMap<>(); // iopf_param->partial
  private final Map<Device, Integer> iopfEnabled = new HashMap<>(); // mdev->iopf_refcount
  private final ArrayDeque<IopfResponse> responses = new ArrayDeque<>();

  /** A fault queue ({@code struct iommufd_fault}). */
  static final class Fault extends Obj {
    final ArrayDeque<Group> deliver = new ArrayDeque<>();
    final TreeMap<Integer, Group> response = new TreeMap<>(); // cookie -> group, read, unanswered
    int hwptUsers;
    boolean fdOpen = true;

    Fault(int id) {
      super(id);
    }
  }

  /** A page request group ({@code struct iopf_group}) of one attachment ({@code handle}). */
  static final class Group {
    final Device dev;
    final int handlePasid; // the attachment's PASID, IOMMU_NO_PASID for the RID
    final List<IopfFault> faults;
    int cookie;

    Group(Device dev, int handlePasid, List<IopfFault> faults) {
      this.dev = dev;
      this.handlePasid = handlePasid;
      this.faults = faults;
    }

    IopfFault last() {
      return faults.get(faults.size() - 1);
    }
  }

  /** Receives one record of a read at byte {@code offset} of the buffer ({@code copy_to_user}). */
  @FunctionalInterface
  public interface PgfaultSink {
    /**
     * Copies {@code record} to the reader's buffer at {@code offset}.
     *
     * @param offset the record's byte offset in the buffer
     * @param record the record
     * @throws UapiException {@code EFAULT} if it cannot be copied
     */
    void put(long offset, IommuHwptPgfault record);
  }

  /** Supplies the responses of a write ({@code copy_from_user}). */
  @FunctionalInterface
  public interface ResponseSource {
    /**
     * Returns the response at byte {@code offset} of the writer's buffer, or null if it cannot be
     * copied whole.
     *
     * @param offset the response's byte offset in the buffer
     * @return the response, or null
     */
    IommuHwptPageResponse get(long offset);
  }

  IommufdFaults(IommufdContext ctx) {
    this.ctx = ctx;
  }

  /**
   * {@code IOMMU_FAULT_QUEUE_ALLOC}'s object: allocates a fault queue and returns its id. Its fd is
   * the caller's; {@link #closeFd} says when it is closed.
   *
   * @param flags {@code iommu_fault_alloc.flags}: must be 0
   * @return the new object's id ({@code out_fault_id})
   * @throws UapiException {@code EOPNOTSUPP} for non-zero flags
   */
  public int alloc(int flags) {
    UapiException.check(flags == 0, Errno.EOPNOTSUPP, "fault alloc flags");
    synchronized (ctx.lock) {
      return ctx.put(new Fault(ctx.allocateId())).id;
    }
  }

  /**
   * The queue's fd was closed (its last close): the object stays until destroyed, and is then
   * destroyable.
   *
   * @param faultId the fault queue
   */
  public void closeFd(int faultId) {
    synchronized (ctx.lock) {
      Obj o = ctx.objects.get(faultId);
      if (o instanceof Fault) {
        ((Fault) o).fdOpen = false;
      }
    }
  }

  /**
   * Whether a read of the queue's fd would return a record ({@code EPOLLIN} of {@code
   * iommufd_eventq_fops_poll}, {@code drivers/iommu/iommufd/eventq.c}).
   *
   * @param faultId the fault queue behind the fd
   * @return true if a fault group waits to be read
   * @throws UapiException {@code ENOENT} if {@code faultId} is no fault queue
   */
  public boolean readable(int faultId) {
    synchronized (ctx.lock) {
      return !fault(faultId).deliver.isEmpty();
    }
  }

  /**
   * {@code iommufd_fault_fops_read}: moves whole groups into {@code sink} while they fit in {@code
   * count} bytes and returns the bytes read, as the class describes.
   *
   * @param faultId the fault queue behind the fd
   * @param count the buffer's size in bytes (unsigned)
   * @param sink where the records go
   * @return the bytes read, 0 for an empty queue
   * @throws UapiException {@code ESPIPE} if {@code count} is not a multiple of {@value
   *     IommuHwptPgfault#SIZE}; {@code EFAULT} if the first record cannot be copied; {@code ENOENT}
   *     if {@code faultId} is no fault queue
   */
  public long read(int faultId, long count, PgfaultSink sink) {
    UapiException.check(
        Long.remainderUnsigned(count, FAULT_SIZE) == 0, Errno.ESPIPE, "count not whole records");
    synchronized (ctx.lock) {
      Fault f = fault(faultId);
      long done = 0;
      Group g;
      while ((g = f.deliver.pollFirst()) != null) {
        // done never passes count, so a group (one fault or more) never fits once they are equal:
        // the kernel's separate "done >= count" test is implied
        if (Long.compareUnsigned(g.faults.size() * FAULT_SIZE, count - done) > 0) {
          f.deliver.addFirst(g);
          break;
        }
        g.cookie = lowestFreeCookie(f);
        f.response.put(g.cookie, g);
        for (IopfFault x : g.faults) {
          try {
            sink.put(done, record(g, x));
          } catch (UapiException e) {
            f.response.remove(g.cookie);
            f.deliver.addFirst(g);
            if (done == 0) {
              throw e;
            }
            return done;
          }
          done += FAULT_SIZE;
        }
      }
      return done;
    }
  }

  /**
   * {@code iommufd_fault_fops_write}: answers groups from the responses in {@code source} and
   * returns the bytes consumed, as the class describes.
   *
   * @param faultId the fault queue behind the fd
   * @param count the bytes written (unsigned)
   * @param source the responses
   * @return the bytes consumed, or (the quirk) the bytes left uncopied of a first response that
   *     could not be copied
   * @throws UapiException {@code ESPIPE} if {@code count} is not a multiple of {@value
   *     IommuHwptPageResponse#SIZE}; {@code EINVAL} if the first response has a bad code or cookie;
   *     {@code ENOENT} if {@code faultId} is no fault queue
   */
  public long write(int faultId, long count, ResponseSource source) {
    UapiException.check(
        Long.remainderUnsigned(count, RESPONSE_SIZE) == 0,
        Errno.ESPIPE,
        "count not whole responses");
    synchronized (ctx.lock) {
      Fault f = fault(faultId);
      long done = 0;
      while (Long.compareUnsigned(count, done) > 0) {
        IommuHwptPageResponse r = source.get(done);
        if (r == null) {
          return done == 0 ? RESPONSE_SIZE : done;
        }
        Group g =
            r.code() == IOMMUFD_PAGE_RESP_SUCCESS || r.code() == IOMMUFD_PAGE_RESP_INVALID
                ? f.response.remove(r.cookie())
                : null;
        if (g == null) {
          UapiException.check(done != 0, Errno.EINVAL, "bad response code or cookie");
          return done;
        }
        respond(g, r.code());
        done += RESPONSE_SIZE;
      }
      return done;
    }
  }

  /**
   * {@code iommu_report_device_fault}: the device's IOMMU reports a page request, which goes to a
   * fault queue as the class describes (the hardware side; {@code IOMMU_TEST_OP_TRIGGER_IOPF}
   * reports one {@link IopfFault#lastPage} fault).
   *
   * @param devId a bound device id
   * @param fault the page request
   * @return true if the fault was queued or waits for its group's last fault; false if no
   *     fault-capable HWPT takes it (the device was answered {@code INVALID})
   * @throws UapiException {@code ENOENT} for a bad device
   */
  public boolean reportDeviceFault(int devId, IopfFault fault) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      int handlePasid = fault.pasidValid() ? fault.pasid() : IommufdPasid.IOMMU_NO_PASID;
      HwPagetable handle = ctx.pasid().attachedHwpt(dev, handlePasid);
      if (handle == null && IommufdPasid.isMock(dev.iommu)) { // user_pasid_table
        handlePasid = IommufdPasid.IOMMU_NO_PASID;
        handle = dev.nested; // only a nested HWPT at the RID takes another PASID's faults
      }
      Fault queue = queueOf(handle);
      if (queue == null) {
        log(new IopfResponse(dev.id, fault.pasid(), fault.grpid(), IOMMUFD_PAGE_RESP_INVALID));
        return false;
      }
      List<IopfFault> waiting = partial.computeIfAbsent(dev, d -> new ArrayList<>());
      if (!fault.lastPage()) {
        waiting.add(fault);
        return true;
      }
      List<IopfFault> group = new ArrayList<>();
      for (Iterator<IopfFault> it = waiting.iterator(); it.hasNext(); ) {
        IopfFault p = it.next();
        if (p.grpid() == fault.grpid()) {
          group.add(p);
          it.remove();
        }
      }
      group.add(fault);
      queue.deliver.addLast(new Group(dev, handlePasid, ImmutableList.copyOf(group)));
      return true;
    }
  }

  /**
   * Returns the most recent page responses the context's devices received (at most 1024), oldest
   * first.
   *
   * @return the responses, oldest first
   */
  public List<IopfResponse> pageResponses() {
    synchronized (ctx.lock) {
      return ImmutableList.copyOf(responses);
    }
  }

  // --- for IommufdContext, IommufdPasid and IommufdNesting --------------------------------------

  /** {@code iommufd_get_fault}: {@code ENOENT} unless {@code faultId} is a fault queue. */
  Fault fault(int faultId) {
    Obj o = ctx.objects.get(faultId);
    UapiException.check(o instanceof Fault, Errno.ENOENT, "no fault queue " + faultId);
    return (Fault) o;
  }

  /** A HWPT allocated with {@code FAULT_ID_VALID} takes a reference on its queue. */
  Fault use(int faultId) {
    Fault f = fault(faultId);
    f.hwptUsers++;
    return f;
  }

  /** A HWPT holding {@code f} (or null) is destroyed. */
  static void unuse(Fault f) {
    if (f != null) {
      f.hwptUsers--;
    }
  }

  /**
   * {@code IOMMU_DESTROY} of a fault queue: {@code EBUSY} while used. {@code iommufd_fault_destroy}
   * answers what the queue still holds {@code INVALID}; here it holds nothing by then: every group
   * belongs to an attachment to a HWPT with this queue, an attachment's groups are answered when it
   * leaves ({@link #left}), and with no such HWPT left there is no such attachment.
   */
  void destroy(Fault f) {
    UapiException.check(
        f.hwptUsers == 0 && !f.fdOpen, Errno.EBUSY, "fault queue in use by a HWPT or its fd");
  }

  /** The driver's IOPF enable on attaching {@code dev} to a HWPT with queue {@code f}. */
  static void checkAttach(Device dev, Fault f) {
    UapiException.check(
        f == null || IommufdPasid.isMock(dev.iommu),
        Errno.ENODEV,
        "IOPF needs PRI, which the device does not have");
  }

  /** {@code dev} was attached at some PASID to a HWPT with queue {@code f} (or null). */
  void entered(Device dev, Fault f) {
    if (f != null) {
      iopfEnabled.merge(dev, 1, Integer::sum);
    }
  }

  /**
   * {@code dev}'s attachment at {@code pasid} left a HWPT with queue {@code f} (or null): its
   * groups are answered {@code INVALID}; the device's partial faults go with its last such
   * attachment.
   */
  void left(Device dev, int pasid, Fault f) {
    if (f == null) {
      return;
    }
    List<Group> mine = new ArrayList<>();
    f.deliver.removeIf(g -> g.dev == dev && g.handlePasid == pasid && mine.add(g));
    f.response.values().removeIf(g -> g.dev == dev && g.handlePasid == pasid && mine.add(g));
    mine.forEach(g -> respond(g, IOMMUFD_PAGE_RESP_INVALID));
    if (iopfEnabled.merge(dev, -1, Integer::sum) == 0) {
      iopfEnabled.remove(dev);
      partial.remove(dev);
    }
  }

  /** Renders a fault queue for {@link IommufdContext#snapshot}. */
  static String describe(Fault f) {
    return "FAULT unread="
        + f.deliver.size()
        + " unanswered="
        + f.response.keySet()
        + " hwptUsers="
        + f.hwptUsers
        + " fd="
        + f.fdOpen;
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** The fault queue of a paging or nested HWPT, or null ({@code iopf_handler} not set). */
  private static Fault queueOf(HwPagetable hwpt) {
    return hwpt == null ? null : hwpt.fault;
  }

  /** {@code xa_alloc} with {@code XA_FLAGS_ALLOC1}: the lowest cookie from 1 not waiting. */
  private static int lowestFreeCookie(Fault f) {
    int cookie = 1;
    for (int used : f.response.keySet()) {
      if (used != cookie) {
        break;
      }
      cookie++;
    }
    return cookie;
  }

  /** {@code iommufd_compose_fault_message}. */
  private static IommuHwptPgfault record(Group g, IopfFault x) {
    return new IommuHwptPgfault(
        x.flags(), g.dev.id, x.pasid(), x.grpid(), x.perm(), 0, x.addr(), 0, g.cookie);
  }

  /** {@code iopf_group_response}: the device gets {@code code} for the group's last fault. */
  private void respond(Group g, int code) {
    IopfFault last = g.last();
    log(new IopfResponse(g.dev.id, last.pasid(), last.grpid(), code));
  }

  private void log(IopfResponse r) {
    if (responses.size() == RESPONSE_LOG) {
      responses.removeFirst();
    }
    responses.addLast(r);
  }
}
