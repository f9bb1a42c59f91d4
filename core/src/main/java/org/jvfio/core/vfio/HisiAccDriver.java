package org.jvfio.core.vfio;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.pci.VfioPciDevice;

/**
 * A HiSilicon accelerator VF migration driver, as {@code
 * drivers/vfio/pci/hisilicon/hisi_acc_vfio_pci.c} behaves with its migration ops (QM hardware v3,
 * migration control in the VF's BAR2):
 *
 * <ul>
 *   <li><b>Regions.</b> BAR2 is 64 KiB; its second half holds the migration control registers and
 *       is hidden: REGION_INFO reports 32 KiB, an access at or past 0x8000 is {@code EINVAL}, one
 *       that crosses it comes back short, an mmap reaching it is {@code EINVAL} ({@link
 *       org.jvfio.core.vfio.pci.PciDeviceBuilder#userVisibleBarLength}). The driver reads its
 *       registers there.
 *   <li><b>Migration.</b> {@code STOP_COPY | PRE_COPY}, no P2P, no DMA logging (the DMA-logging
 *       features answer {@code ENOTTY}: dirty pages must come from the IOMMU). The stream is {@code
 *       struct acc_vf_data}, {@value #ACC_VF_DATA_SIZE} bytes; its first {@value #QM_MATCH_SIZE}
 *       ({@code QM_MATCH_SIZE}) are the match data: magic {@link #ACC_DEV_MAGIC_V2} with driver
 *       version 1.0, {@code qp_num}, {@code dev_id}, {@code que_iso_cfg}, {@code qp_base}, {@code
 *       vf_qm_state}. RUNNING→PRE_COPY opens the saving stream with the match data only (sent
 *       early); PRE_COPY→STOP_COPY appends the registers to the same stream, or nothing if the
 *       guest's VF driver never made the queue manager ready ({@code vf_qm_state_save}).
 *       PRECOPY_INFO reports {@code initial_bytes} = what is left of the 40, {@code dirty_bytes} 0;
 *       reading past the pre-copy data returns 0 (end of file), never {@code ENOMSG}.
 *   <li><b>Resuming</b> ({@code hisi_acc_vf_resume_write}, {@code vf_qm_check_match}): a write
 *       whose end passes 176 is {@code ENOMEM}; otherwise the bytes are stored and, once 40 have
 *       arrived and until a match succeeded, the match data is checked after every write: magic (V2
 *       with major version 1, or V1), {@code dev_id}, {@code qp_num} against this VF's queue
 *       allocation, {@code que_iso_cfg} against this PF's. A mismatch fails that {@code write()}
 *       with {@code EFAULT} after its bytes were stored. RESUMING→STOP with exactly 40 bytes
 *       succeeds and loads nothing (a source whose VF was not ready); 0 or 41–175 bytes, or a null
 *       queue DMA address, fail the arc with {@code EINVAL} and the device stays in RESUMING.
 *   <li><b>{@code match_done}.</b> A successful match is remembered per device. Before the 2026 fix
 *       ("hisi_acc_vfio_pci: resolve duplicate migration states", {@link
 *       Revision#BEFORE_MATCH_DONE_FIX}) it is never cleared, so a later migration into the same VF
 *       skips the check; with the fix ({@link Revision#MATCH_DONE_RESET_ON_OPEN}) opening the
 *       device clears it.
 * </ul>
 *
 * <p>The model places the registers in BAR2 at: {@code QM_EQC_DW} 0x8000 and {@code QM_AEQC_DW}
 * 0x8020 (seven dwords each, as the VF-controlled mode has them), and, at the model's own offsets,
 * the six interrupt and page-size registers at 0x8040, the SQC and CQC base addresses at 0x8060 and
 * 0x8068, and {@code QM_VF_STATE} at 0x8070. The guest's VF driver is {@link #programQueues}. Not
 * modelled: the 2025 PF-controlled mode that exposes the whole BAR, the device-stop failures
 * ({@code EBUSY}), and the no-op {@code aer_reset_done}.
 *
 * <p>Thread-safe: every method is synchronized (the device calls it under its lock).
 */
public final class HisiAccDriver implements VfioDeviceDriver {
  /** {@code QM_MATCH_SIZE}: the match data at the start of the stream, 40 bytes. */
  public static final int QM_MATCH_SIZE = 40;

  /** {@code sizeof(struct acc_vf_data)}: the whole stream, 176 bytes. */
  public static final int ACC_VF_DATA_SIZE = 176;

  /** {@code ACC_DEV_MAGIC_V1}, the magic of drivers before the 2025 DMA-address fix. */
  public static final long ACC_DEV_MAGIC_V1 = 0xCDCDCDCDFEEDAACCL;

  /** {@code ACC_DEV_MAGIC_V2}, the magic a source writes since the 2025 DMA-address fix. */
  public static final long ACC_DEV_MAGIC_V2 = 0xAACCFEEDDECADEDEL;

  /** {@code PCI_VENDOR_ID_HUAWEI}. */
  public static final int PCI_VENDOR_ID_HUAWEI = 0x19e5;

  /** {@code HISI_SEC_VF_DEV_ID}: the SEC accelerator VF. */
  public static final int HISI_SEC_VF_DEV_ID = 0xa256;

  /** {@code HISI_HPRE_VF_DEV_ID}: the HPRE accelerator VF. */
  public static final int HISI_HPRE_VF_DEV_ID = 0xa259;

  /** {@code HISI_ZIP_VF_DEV_ID}: the ZIP accelerator VF. */
  public static final int HISI_ZIP_VF_DEV_ID = 0xa251;

  /** {@code QM_READY}: the VF's queue manager was started by the guest driver. */
  public static final int QM_READY = 1;

  /** {@code QM_NOT_READY}. */
  public static final int QM_NOT_READY = 0;

  /** The size of BAR2, and of the half the guest sees. */
  static final int BAR2_SIZE = 0x10000;

  private static final int BAR2 = 2;
  private static final int EQC_DW = 0x8000;
  private static final int AEQC_DW = 0x8020;
  private static final int RW_REGS = 0x8040;
  private static final int SQC_BT = 0x8060;
  private static final int CQC_BT = 0x8068;
  private static final int QM_VF_STATE = 0x8070;
  private static final int XQC_ADDR_LOW = 1;
  private static final int XQC_ADDR_HIGH = 2;

  // offsets in struct acc_vf_data
  private static final int OFF_QP_NUM = 8;
  private static final int OFF_DEV_ID = 12;
  private static final int OFF_QUE_ISO_CFG = 16;
  private static final int OFF_QP_BASE = 20;
  private static final int OFF_VF_QM_STATE = 24;
  private static final int OFF_MAJOR_VER = 28;
  private static final int OFF_RW_REGS = 40;
  private static final int OFF_EQC_DW = 64;
  private static final int OFF_AEQC_DW = 92;
  private static final int OFF_EQE_DMA = 144;
  private static final int OFF_AEQE_DMA = 152;
  private static final int OFF_SQC_DMA = 160;
  private static final int OFF_CQC_DMA = 168;

  /** Which kernel's {@code match_done} behaviour the driver has. */
  public enum Revision {
    /** {@code match_done} is set by the first successful match and never cleared. */
    BEFORE_MATCH_DONE_FIX,
    /** The January 2026 fix: {@code open_device} clears {@code match_done}. */
    MATCH_DONE_RESET_ON_OPEN
  }

  /**
   * What the PF says about this VF, which the destination checks: its queue pairs from the PF's VF
   * table ({@code qp_num}, {@code qp_base}) and the PF's queue isolation register ({@code
   * QM_QUE_ISO_CFG_V}).
   *
   * @param qpNum the VF's number of queue pairs (positive)
   * @param qpBase the VF's first queue pair
   * @param queIsoCfg the PF's isolation state
   */
  public record PfConfig(int qpNum, int qpBase, int queIsoCfg) {
    /**
     * Validates {@code qpNum}.
     *
     * @param qpNum the VF's number of queue pairs (positive)
     * @param qpBase the VF's first queue pair
     * @param queIsoCfg the PF's isolation state
     */
    public PfConfig {
      Preconditions.checkArgument(qpNum > 0, "qp_num %s", qpNum);
    }
  }

  private final int deviceId;
  private final PfConfig pf;
  private final Revision revision;
  private final VfioPciDevice pci;
  private MigrationState mig = MigrationState.RUNNING;
  private Stream saving;
  private Stream resuming;
  private boolean matchDone;
  private int vfQmState;

  private HisiAccDriver(int deviceId, PfConfig pf, Revision revision) {
    this.deviceId = deviceId & 0xffff;
    this.pf = pf;
    this.revision = revision;
    this.pci =
        VfioPciDevice.builder(PCI_VENDOR_ID_HUAWEI, deviceId)
            .classCode(0x100000, 0x21) // encryption controller
            .memBar(BAR2, BAR2_SIZE)
            .userVisibleBarLength(BAR2, BAR2_SIZE / 2)
            .msi(4)
            .build();
  }

  /**
   * Returns a driver for a VF with PCI device id {@code deviceId} (e.g. {@link
   * #HISI_SEC_VF_DEV_ID}) under a PF that gives it {@code pf}, with the given {@code match_done}
   * behaviour; its queue manager is not ready until {@link #programQueues}.
   *
   * @param deviceId the VF's PCI device id
   * @param pf the PF's view of the VF, carried in the migration data and checked on resume
   * @param revision whether {@code open_device} clears {@code match_done}
   * @return a driver with its device in RUNNING
   */
  public static HisiAccDriver create(int deviceId, PfConfig pf, Revision revision) {
    return new HisiAccDriver(deviceId, pf, revision);
  }

  /**
   * The guest's VF driver programs the queue manager, as a running device would: event queue and
   * asynchronous event queue contexts, interrupt masks, SQC and CQC base addresses (all non-zero),
   * drawn from {@code seed}, and {@code QM_VF_STATE} ready.
   *
   * @param seed the seed the register values are drawn from
   * @throws IllegalStateException unless the device runs (RUNNING or PRE_COPY)
   */
  public synchronized void programQueues(long seed) {
    Preconditions.checkState(
        mig == MigrationState.RUNNING || mig == MigrationState.PRE_COPY,
        "device does not run in %s",
        mig);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < 7; i++) {
      pci.iowrite32(BAR2, EQC_DW + 4L * i, r.nextInt() | 1);
      pci.iowrite32(BAR2, AEQC_DW + 4L * i, r.nextInt() | 1);
    }
    for (int i = 0; i < 6; i++) {
      pci.iowrite32(BAR2, RW_REGS + 4L * i, r.nextInt());
    }
    pci.iowrite64(BAR2, SQC_BT, (r.nextLong() | 1) & 0x0000_ffff_ffff_f000L | 0x1000);
    pci.iowrite64(BAR2, CQC_BT, (r.nextLong() | 1) & 0x0000_ffff_ffff_f000L | 0x1000);
    pci.iowrite32(BAR2, QM_VF_STATE, QM_READY);
  }

  /**
   * Returns the device's register state as {@code struct acc_vf_data} bytes 40 to 175 would carry
   * it (interrupt registers, EQC, AEQC, the queue DMA addresses), followed by the 4-byte {@code
   * QM_VF_STATE}: what a migration must carry to the destination.
   *
   * @return 136 bytes of {@code acc_vf_data} registers then the 4-byte little-endian {@code
   *     QM_VF_STATE}
   */
  public synchronized byte[] registerState() {
    ByteBuffer b = ByteBuffer.allocate(ACC_VF_DATA_SIZE - OFF_RW_REGS + 4);
    b.put(readRegisters(), OFF_RW_REGS, ACC_VF_DATA_SIZE - OFF_RW_REGS);
    b.order(ByteOrder.LITTLE_ENDIAN).putInt(pci.ioread32(BAR2, QM_VF_STATE));
    return b.array();
  }

  /**
   * Returns whether a match succeeded and will not be checked again ({@code match_done}).
   *
   * @return the driver's {@code match_done} flag
   */
  public synchronized boolean matchDone() {
    return matchDone;
  }

  @Override
  public Set<MigrationFlag> migrationFlags() {
    return EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY);
  }

  @Override
  public VfioPciDevice pciDevice() {
    return pci;
  }

  @Override
  public synchronized void openDevice() {
    if (revision == Revision.MATCH_DONE_RESET_ON_OPEN) {
      matchDone = false;
    }
  }

  @Override
  public synchronized void executeArc(MigrationArc arc) {
    MigrationState from = arc.from();
    MigrationState to = arc.to();
    if (from == MigrationState.RUNNING && to == MigrationState.PRE_COPY) {
      saving = new Stream(matchData());
    } else if (from == MigrationState.PRE_COPY && to == MigrationState.STOP_COPY) {
      stateSave(saving);
    } else if (from == MigrationState.STOP && to == MigrationState.STOP_COPY) {
      saving = new Stream(matchData());
      stateSave(saving);
    } else if (from == MigrationState.STOP && to == MigrationState.RESUMING) {
      resuming = new Stream(new byte[ACC_VF_DATA_SIZE]);
      resuming.length = 0;
    } else if (from == MigrationState.RESUMING && to == MigrationState.STOP) {
      loadData(resuming);
      resuming = null;
    } else if ((from == MigrationState.STOP_COPY && to == MigrationState.STOP)
        || (from == MigrationState.PRE_COPY && to == MigrationState.RUNNING)) {
      saving = null;
    } else if (!(from == MigrationState.RUNNING && to == MigrationState.STOP)
        && !(from == MigrationState.STOP && to == MigrationState.RUNNING)) {
      throw new UapiException(Errno.EINVAL, "hisi_acc has no arc " + arc);
    }
    mig = to;
  }

  @Override
  public synchronized int save(ByteBuffer dst) {
    Stream s = saving;
    int n = Math.min(dst.remaining(), s.length - s.pos);
    dst.put(s.data, s.pos, n);
    s.pos += n;
    return n;
  }

  /** Returns {@code initial_bytes} = the match data not yet read, {@code dirty_bytes} = 0. */
  @Override
  public synchronized PrecopyInfo precopyInfo() {
    return new PrecopyInfo(saving.length - saving.pos, 0);
  }

  /** Returns false: the pre-copy stream ends with 0, not {@code ENOMSG}. */
  @Override
  public boolean precopyEndIsEnomsg() {
    return false;
  }

  @Override
  public synchronized void resume(ByteBuffer src) {
    Stream r = resuming;
    int n = src.remaining();
    UapiException.check(
        n <= ACC_VF_DATA_SIZE - r.pos, Errno.ENOMEM, "resume data past sizeof(acc_vf_data)");
    src.get(r.data, r.pos, n);
    r.pos += n;
    r.length += n;
    checkMatch(r);
  }

  /** Returns 176, {@code sizeof(struct acc_vf_data)}, in every state. */
  @Override
  public long stopCopyLength() {
    return ACC_VF_DATA_SIZE;
  }

  /**
   * Returns false: {@code hisi_acc_vf_pci_aer_reset_done} returns early since the driver also
   * claims PRE_COPY, so a reset keeps the migration state and the data fds.
   */
  @Override
  public boolean resetEndsMigration() {
    return false;
  }

  @Override
  public synchronized void reset() {
    saving = null;
    resuming = null;
    mig = MigrationState.RUNNING;
  }

  @Override
  public Optional<DmaTracker> dmaTracker() {
    return Optional.empty();
  }

  // --- the driver's work -----------------------------------------------------------------------

  /** {@code vf_qm_get_match_data}: magic, version, ids and the PF's view of this VF. */
  private byte[] matchData() {
    ByteBuffer b = ByteBuffer.allocate(ACC_VF_DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, ACC_DEV_MAGIC_V2);
    b.putInt(OFF_QP_NUM, pf.qpNum());
    b.putInt(OFF_DEV_ID, deviceId);
    b.putInt(OFF_QUE_ISO_CFG, pf.queIsoCfg());
    b.putInt(OFF_QP_BASE, pf.qpBase());
    b.putInt(OFF_VF_QM_STATE, pci.ioread32(BAR2, QM_VF_STATE));
    b.putShort(OFF_MAJOR_VER, (short) 1); // ACC_DRV_MAJOR_VER; minor_ver 0
    return b.array();
  }

  /** {@code vf_qm_state_save}: the registers, or nothing more if the VF is not ready. */
  private void stateSave(Stream s) {
    ByteBuffer b = ByteBuffer.wrap(s.data).order(ByteOrder.LITTLE_ENDIAN);
    if ((pci.ioread32(BAR2, QM_VF_STATE) & 1) == 0) {
      b.putInt(OFF_VF_QM_STATE, QM_NOT_READY);
      vfQmState = QM_NOT_READY;
      s.length = QM_MATCH_SIZE;
      return;
    }
    b.put(OFF_RW_REGS, readRegisters(), OFF_RW_REGS, ACC_VF_DATA_SIZE - OFF_RW_REGS);
    b.putInt(OFF_VF_QM_STATE, QM_READY);
    vfQmState = QM_READY;
    s.length = ACC_VF_DATA_SIZE;
  }

  /** The registers as {@code struct acc_vf_data} lays them out (bytes 40 to 175 filled). */
  private byte[] readRegisters() {
    ByteBuffer b = ByteBuffer.allocate(ACC_VF_DATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      b.putInt(OFF_RW_REGS + 4 * i, pci.ioread32(BAR2, RW_REGS + 4L * i));
    }
    for (int i = 0; i < 7; i++) {
      b.putInt(OFF_EQC_DW + 4 * i, pci.ioread32(BAR2, EQC_DW + 4L * i));
      b.putInt(OFF_AEQC_DW + 4 * i, pci.ioread32(BAR2, AEQC_DW + 4L * i));
    }
    b.putLong(OFF_EQE_DMA, dma(b, OFF_EQC_DW));
    b.putLong(OFF_AEQE_DMA, dma(b, OFF_AEQC_DW));
    b.putLong(OFF_SQC_DMA, pci.ioread64(BAR2, SQC_BT));
    b.putLong(OFF_CQC_DMA, pci.ioread64(BAR2, CQC_BT));
    return b.array();
  }

  private static long dma(ByteBuffer b, int dw) {
    return ((long) b.getInt(dw + 4 * XQC_ADDR_HIGH) << 32)
        | (b.getInt(dw + 4 * XQC_ADDR_LOW) & 0xffff_ffffL);
  }

  /** {@code vf_qm_check_match}, after every write once 40 bytes arrived, until it succeeds. */
  private void checkMatch(Stream r) {
    if (r.length < QM_MATCH_SIZE || matchDone) {
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(r.data).order(ByteOrder.LITTLE_ENDIAN);
    long magic = b.getLong(0);
    boolean magicOk =
        magic == ACC_DEV_MAGIC_V1 || (magic == ACC_DEV_MAGIC_V2 && b.getShort(OFF_MAJOR_VER) == 1);
    String why =
        !magicOk
            ? "failed to match ACC_DEV_MAGIC"
            : b.getInt(OFF_DEV_ID) != deviceId
                ? "failed to match VF devices"
                : b.getInt(OFF_QP_NUM) != pf.qpNum()
                    ? "failed to match VF qp num"
                    : b.getInt(OFF_QUE_ISO_CFG) != pf.queIsoCfg()
                        ? "failed to match isolation state"
                        : null;
    // vf_qm_check_match returns -EINVAL; hisi_acc_vf_resume_write turns any failure into -EFAULT
    UapiException.check(why == null, Errno.EFAULT, why + " (the written bytes are kept)");
    vfQmState = b.getInt(OFF_VF_QM_STATE);
    pci.iowrite32(BAR2, QM_VF_STATE, vfQmState);
    matchDone = true;
  }

  /** {@code vf_qm_load_data}: nothing for a match-only image, else the registers. */
  private void loadData(Stream r) {
    if (r.length == QM_MATCH_SIZE) {
      return;
    }
    UapiException.check(
        r.length >= ACC_VF_DATA_SIZE, Errno.EINVAL, "resume data of " + r.length + " bytes");
    ByteBuffer b = ByteBuffer.wrap(r.data).order(ByteOrder.LITTLE_ENDIAN);
    if (b.getLong(0) == ACC_DEV_MAGIC_V1) { // vf_qm_version_check corrects the old DMA addresses
      b.putLong(OFF_EQE_DMA, dma(b, OFF_EQC_DW));
      b.putLong(OFF_AEQE_DMA, dma(b, OFF_AEQC_DW));
    }
    UapiException.check(
        b.getLong(OFF_EQE_DMA) != 0
            && b.getLong(OFF_AEQE_DMA) != 0
            && b.getLong(OFF_SQC_DMA) != 0
            && b.getLong(OFF_CQC_DMA) != 0,
        Errno.EINVAL,
        "resume dma addr is NULL");
    for (int i = 0; i < 6; i++) {
      pci.iowrite32(BAR2, RW_REGS + 4L * i, b.getInt(OFF_RW_REGS + 4 * i));
    }
    for (int i = 0; i < 7; i++) {
      pci.iowrite32(BAR2, EQC_DW + 4L * i, b.getInt(OFF_EQC_DW + 4 * i));
      pci.iowrite32(BAR2, AEQC_DW + 4L * i, b.getInt(OFF_AEQC_DW + 4 * i));
    }
    pci.iowrite64(BAR2, SQC_BT, b.getLong(OFF_SQC_DMA));
    pci.iowrite64(BAR2, CQC_BT, b.getLong(OFF_CQC_DMA));
  }

  /** A migration file's {@code vf_data}, {@code total_length} and {@code f_pos}. */
  private static final class Stream {
    final byte[] data;
    int length = QM_MATCH_SIZE;
    int pos;

    Stream(byte[] data) {
      this.data = data;
    }
  }

  @Override
  public synchronized String toString() {
    return "HisiAccDriver[dev=0x"
        + Integer.toHexString(deviceId)
        + ", "
        + pf
        + ", state="
        + mig
        + ", match_done="
        + matchDone
        + "]";
  }
}
