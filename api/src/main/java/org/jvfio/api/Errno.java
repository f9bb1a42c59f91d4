package org.jvfio.api;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A Linux errno value: every number the kernel can return from a system call ({@code 1} to {@link
 * #MAX_ERRNO}), with the C name where one exists.
 *
 * <p>The named constants are those of {@code include/uapi/asm-generic/errno-base.h} (1–34) and
 * {@code include/uapi/asm-generic/errno.h} (35–133), the numbers used on x86-64 and arm64, plus the
 * kernel-internal ones of {@code include/linux/errno.h} (512–531), which a driver may return and
 * which leak to user space where nothing translates them. 41 and 58 have no name on these
 * architectures; {@link #EWOULDBLOCK} and {@link #EDEADLOCK} are aliases of {@link #EAGAIN} (11)
 * and {@link #EDEADLK} (35), the same objects.
 *
 * <p>{@link #of(int)} returns the value for any number, named or not, so a driver or a test double
 * can fail with any errno, as a real driver can ({@code IS_ERR_VALUE}: {@code -MAX_ERRNO} to {@code
 * -1}). There is exactly one instance per number, so {@code ==} and {@link #equals} agree, as for
 * the enum this class replaces; {@link #values()}, {@link #valueOf(String)}, {@link #name()} and
 * {@link #compareTo} keep that enum's API. An ioctl that fails returns {@code -1} with {@code
 * errno} set to {@link #code()}; the syscall-shaped facade of jvfio returns {@code -code()}
 * instead, like the raw system call.
 *
 * <p>Immutable and thread-safe; serializable, deserializing to the one instance of its number.
 */
public final class Errno implements Comparable<Errno>, Serializable {
  private static final long serialVersionUID = 1L;

  /** {@code MAX_ERRNO} of {@code include/linux/err.h}: the largest errno number, 4095. */
  public static final int MAX_ERRNO = 4095;

  private static final AtomicReferenceArray<Errno> BY_CODE =
      new AtomicReferenceArray<>(MAX_ERRNO + 1);
  private static final List<Errno> NAMED = new ArrayList<>();
  private static final Map<String, Errno> BY_NAME = new HashMap<>();

  /** Operation not permitted (1). */
  public static final Errno EPERM = named(1, "EPERM");

  /** No such file or directory; iommufd's answer for a missing or wrong-type object id (2). */
  public static final Errno ENOENT = named(2, "ENOENT");

  /** No such process (3). */
  public static final Errno ESRCH = named(3, "ESRCH");

  /** Interrupted system call (4). */
  public static final Errno EINTR = named(4, "EINTR");

  /**
   * I/O error; e.g. a device DMA-logging tracker in its error state, or a BAR access with memory
   * decode off (5).
   */
  public static final Errno EIO = named(5, "EIO");

  /** No such device or address (6). */
  public static final Errno ENXIO = named(6, "ENXIO");

  /** Argument list too long; too many DMA-logging ranges, or a non-zero struct tail (7). */
  public static final Errno E2BIG = named(7, "E2BIG");

  /** Exec format error (8). */
  public static final Errno ENOEXEC = named(8, "ENOEXEC");

  /** Bad file number (9). */
  public static final Errno EBADF = named(9, "EBADF");

  /** No child processes (10). */
  public static final Errno ECHILD = named(10, "ECHILD");

  /** Try again; {@code EWOULDBLOCK} is the same number (11). */
  public static final Errno EAGAIN = named(11, "EAGAIN");

  /** Out of memory (12). */
  public static final Errno ENOMEM = named(12, "ENOMEM");

  /** Permission denied (13). */
  public static final Errno EACCES = named(13, "EACCES");

  /**
   * Bad address: a user pointer that {@code copy_from_user}/{@code copy_to_user} cannot use (14).
   */
  public static final Errno EFAULT = named(14, "EFAULT");

  /** Block device required (15). */
  public static final Errno ENOTBLK = named(15, "ENOTBLK");

  /** Device or resource busy (16). */
  public static final Errno EBUSY = named(16, "EBUSY");

  /** File exists; e.g. an IOAS map over an existing mapping (17). */
  public static final Errno EEXIST = named(17, "EEXIST");

  /** Cross-device link (18). */
  public static final Errno EXDEV = named(18, "EXDEV");

  /** No such device (19). */
  public static final Errno ENODEV = named(19, "ENODEV");

  /** Not a directory (20). */
  public static final Errno ENOTDIR = named(20, "ENOTDIR");

  /** Is a directory (21). */
  public static final Errno EISDIR = named(21, "EISDIR");

  /** Invalid argument (22). */
  public static final Errno EINVAL = named(22, "EINVAL");

  /** File table overflow (23). */
  public static final Errno ENFILE = named(23, "ENFILE");

  /** Too many open files (24). */
  public static final Errno EMFILE = named(24, "EMFILE");

  /** Not a typewriter: inappropriate ioctl for device; also an absent VFIO feature (25). */
  public static final Errno ENOTTY = named(25, "ENOTTY");

  /** Text file busy (26). */
  public static final Errno ETXTBSY = named(26, "ETXTBSY");

  /** File too large (27). */
  public static final Errno EFBIG = named(27, "EFBIG");

  /** No space left on device; e.g. no free IOVA for an IOAS map (28). */
  public static final Errno ENOSPC = named(28, "ENOSPC");

  /** Illegal seek; e.g. {@code pread} on a stream file such as a migration data fd (29). */
  public static final Errno ESPIPE = named(29, "ESPIPE");

  /** Read-only file system (30). */
  public static final Errno EROFS = named(30, "EROFS");

  /** Too many links (31). */
  public static final Errno EMLINK = named(31, "EMLINK");

  /** Broken pipe (32). */
  public static final Errno EPIPE = named(32, "EPIPE");

  /** Math argument out of domain of func (33). */
  public static final Errno EDOM = named(33, "EDOM");

  /** Math result not representable (34). */
  public static final Errno ERANGE = named(34, "ERANGE");

  /** Resource deadlock would occur; {@code EDEADLOCK} is the same number (35). */
  public static final Errno EDEADLK = named(35, "EDEADLK");

  /** File name too long (36). */
  public static final Errno ENAMETOOLONG = named(36, "ENAMETOOLONG");

  /** No record locks available (37). */
  public static final Errno ENOLCK = named(37, "ENOLCK");

  /** Invalid system call number (38). */
  public static final Errno ENOSYS = named(38, "ENOSYS");

  /** Directory not empty (39). */
  public static final Errno ENOTEMPTY = named(39, "ENOTEMPTY");

  /** Too many symbolic links encountered (40). */
  public static final Errno ELOOP = named(40, "ELOOP");

  /** No message of desired type; a PRE_COPY data stream at its temporary end (42). */
  public static final Errno ENOMSG = named(42, "ENOMSG");

  /** Identifier removed (43). */
  public static final Errno EIDRM = named(43, "EIDRM");

  /** Channel number out of range (44). */
  public static final Errno ECHRNG = named(44, "ECHRNG");

  /** Level 2 not synchronized (45). */
  public static final Errno EL2NSYNC = named(45, "EL2NSYNC");

  /** Level 3 halted (46). */
  public static final Errno EL3HLT = named(46, "EL3HLT");

  /** Level 3 reset (47). */
  public static final Errno EL3RST = named(47, "EL3RST");

  /** Link number out of range (48). */
  public static final Errno ELNRNG = named(48, "ELNRNG");

  /** Protocol driver not attached (49). */
  public static final Errno EUNATCH = named(49, "EUNATCH");

  /** No CSI structure available (50). */
  public static final Errno ENOCSI = named(50, "ENOCSI");

  /** Level 2 halted (51). */
  public static final Errno EL2HLT = named(51, "EL2HLT");

  /** Invalid exchange (52). */
  public static final Errno EBADE = named(52, "EBADE");

  /** Invalid request descriptor (53). */
  public static final Errno EBADR = named(53, "EBADR");

  /** Exchange full (54). */
  public static final Errno EXFULL = named(54, "EXFULL");

  /** No anode (55). */
  public static final Errno ENOANO = named(55, "ENOANO");

  /** Invalid request code (56). */
  public static final Errno EBADRQC = named(56, "EBADRQC");

  /** Invalid slot (57). */
  public static final Errno EBADSLT = named(57, "EBADSLT");

  /** Bad font file format (59). */
  public static final Errno EBFONT = named(59, "EBFONT");

  /** Device not a stream (60). */
  public static final Errno ENOSTR = named(60, "ENOSTR");

  /** No data available (61). */
  public static final Errno ENODATA = named(61, "ENODATA");

  /** Timer expired (62). */
  public static final Errno ETIME = named(62, "ETIME");

  /** Out of streams resources (63). */
  public static final Errno ENOSR = named(63, "ENOSR");

  /** Machine is not on the network (64). */
  public static final Errno ENONET = named(64, "ENONET");

  /** Package not installed (65). */
  public static final Errno ENOPKG = named(65, "ENOPKG");

  /** Object is remote (66). */
  public static final Errno EREMOTE = named(66, "EREMOTE");

  /** Link has been severed (67). */
  public static final Errno ENOLINK = named(67, "ENOLINK");

  /** Advertise error (68). */
  public static final Errno EADV = named(68, "EADV");

  /** Srmount error (69). */
  public static final Errno ESRMNT = named(69, "ESRMNT");

  /** Communication error on send (70). */
  public static final Errno ECOMM = named(70, "ECOMM");

  /** Protocol error (71). */
  public static final Errno EPROTO = named(71, "EPROTO");

  /** Multihop attempted (72). */
  public static final Errno EMULTIHOP = named(72, "EMULTIHOP");

  /** RFS specific error (73). */
  public static final Errno EDOTDOT = named(73, "EDOTDOT");

  /** Not a data message (74). */
  public static final Errno EBADMSG = named(74, "EBADMSG");

  /** Value too large for defined data type; an unsigned 64-bit range that wraps (75). */
  public static final Errno EOVERFLOW = named(75, "EOVERFLOW");

  /** Name not unique on network (76). */
  public static final Errno ENOTUNIQ = named(76, "ENOTUNIQ");

  /**
   * File descriptor in bad state; e.g. {@code VFIO_DEVICE_BIND_IOMMUFD} given an open fd that is
   * not an iommufd (77).
   */
  public static final Errno EBADFD = named(77, "EBADFD");

  /** Remote address changed (78). */
  public static final Errno EREMCHG = named(78, "EREMCHG");

  /** Can not access a needed shared library (79). */
  public static final Errno ELIBACC = named(79, "ELIBACC");

  /** Accessing a corrupted shared library (80). */
  public static final Errno ELIBBAD = named(80, "ELIBBAD");

  /** .lib section in a.out corrupted (81). */
  public static final Errno ELIBSCN = named(81, "ELIBSCN");

  /** Attempting to link in too many shared libraries (82). */
  public static final Errno ELIBMAX = named(82, "ELIBMAX");

  /** Cannot exec a shared library directly (83). */
  public static final Errno ELIBEXEC = named(83, "ELIBEXEC");

  /** Illegal byte sequence (84). */
  public static final Errno EILSEQ = named(84, "EILSEQ");

  /** Interrupted system call should be restarted (85). */
  public static final Errno ERESTART = named(85, "ERESTART");

  /** Streams pipe error (86). */
  public static final Errno ESTRPIPE = named(86, "ESTRPIPE");

  /** Too many users (87). */
  public static final Errno EUSERS = named(87, "EUSERS");

  /** Socket operation on non-socket (88). */
  public static final Errno ENOTSOCK = named(88, "ENOTSOCK");

  /** Destination address required (89). */
  public static final Errno EDESTADDRREQ = named(89, "EDESTADDRREQ");

  /** Message too long (90). */
  public static final Errno EMSGSIZE = named(90, "EMSGSIZE");

  /** Protocol wrong type for socket (91). */
  public static final Errno EPROTOTYPE = named(91, "EPROTOTYPE");

  /** Protocol not available (92). */
  public static final Errno ENOPROTOOPT = named(92, "ENOPROTOOPT");

  /** Protocol not supported (93). */
  public static final Errno EPROTONOSUPPORT = named(93, "EPROTONOSUPPORT");

  /** Socket type not supported (94). */
  public static final Errno ESOCKTNOSUPPORT = named(94, "ESOCKTNOSUPPORT");

  /**
   * Operation not supported on transport endpoint; e.g. dirty tracking on a HWPT allocated without
   * it (95).
   */
  public static final Errno EOPNOTSUPP = named(95, "EOPNOTSUPP");

  /** Protocol family not supported (96). */
  public static final Errno EPFNOSUPPORT = named(96, "EPFNOSUPPORT");

  /** Address family not supported by protocol (97). */
  public static final Errno EAFNOSUPPORT = named(97, "EAFNOSUPPORT");

  /** Address already in use; e.g. an allowed IOVA range that hits a reserved one (98). */
  public static final Errno EADDRINUSE = named(98, "EADDRINUSE");

  /** Cannot assign requested address (99). */
  public static final Errno EADDRNOTAVAIL = named(99, "EADDRNOTAVAIL");

  /** Network is down (100). */
  public static final Errno ENETDOWN = named(100, "ENETDOWN");

  /** Network is unreachable (101). */
  public static final Errno ENETUNREACH = named(101, "ENETUNREACH");

  /** Network dropped connection because of reset (102). */
  public static final Errno ENETRESET = named(102, "ENETRESET");

  /** Software caused connection abort (103). */
  public static final Errno ECONNABORTED = named(103, "ECONNABORTED");

  /** Connection reset by peer (104). */
  public static final Errno ECONNRESET = named(104, "ECONNRESET");

  /** No buffer space available (105). */
  public static final Errno ENOBUFS = named(105, "ENOBUFS");

  /** Transport endpoint is already connected (106). */
  public static final Errno EISCONN = named(106, "EISCONN");

  /** Transport endpoint is not connected (107). */
  public static final Errno ENOTCONN = named(107, "ENOTCONN");

  /** Cannot send after transport endpoint shutdown (108). */
  public static final Errno ESHUTDOWN = named(108, "ESHUTDOWN");

  /** Too many references: cannot splice (109). */
  public static final Errno ETOOMANYREFS = named(109, "ETOOMANYREFS");

  /** Connection timed out (110). */
  public static final Errno ETIMEDOUT = named(110, "ETIMEDOUT");

  /** Connection refused (111). */
  public static final Errno ECONNREFUSED = named(111, "ECONNREFUSED");

  /** Host is down (112). */
  public static final Errno EHOSTDOWN = named(112, "EHOSTDOWN");

  /** No route to host (113). */
  public static final Errno EHOSTUNREACH = named(113, "EHOSTUNREACH");

  /** Operation already in progress (114). */
  public static final Errno EALREADY = named(114, "EALREADY");

  /** Operation now in progress (115). */
  public static final Errno EINPROGRESS = named(115, "EINPROGRESS");

  /** Stale file handle (116). */
  public static final Errno ESTALE = named(116, "ESTALE");

  /** Structure needs cleaning (117). */
  public static final Errno EUCLEAN = named(117, "EUCLEAN");

  /** Not a XENIX named type file (118). */
  public static final Errno ENOTNAM = named(118, "ENOTNAM");

  /** No XENIX semaphores available (119). */
  public static final Errno ENAVAIL = named(119, "ENAVAIL");

  /** Is a named type file (120). */
  public static final Errno EISNAM = named(120, "EISNAM");

  /** Remote I/O error (121). */
  public static final Errno EREMOTEIO = named(121, "EREMOTEIO");

  /** Quota exceeded (122). */
  public static final Errno EDQUOT = named(122, "EDQUOT");

  /** No medium found (123). */
  public static final Errno ENOMEDIUM = named(123, "ENOMEDIUM");

  /** Wrong medium type (124). */
  public static final Errno EMEDIUMTYPE = named(124, "EMEDIUMTYPE");

  /** Operation Canceled (125). */
  public static final Errno ECANCELED = named(125, "ECANCELED");

  /** Required key not available (126). */
  public static final Errno ENOKEY = named(126, "ENOKEY");

  /** Key has expired (127). */
  public static final Errno EKEYEXPIRED = named(127, "EKEYEXPIRED");

  /** Key has been revoked (128). */
  public static final Errno EKEYREVOKED = named(128, "EKEYREVOKED");

  /** Key was rejected by service (129). */
  public static final Errno EKEYREJECTED = named(129, "EKEYREJECTED");

  /** Owner died (130). */
  public static final Errno EOWNERDEAD = named(130, "EOWNERDEAD");

  /** State not recoverable (131). */
  public static final Errno ENOTRECOVERABLE = named(131, "ENOTRECOVERABLE");

  /** Operation not possible due to RF-kill (132). */
  public static final Errno ERFKILL = named(132, "ERFKILL");

  /** Memory page has hardware error (133). */
  public static final Errno EHWPOISON = named(133, "EHWPOISON");

  /** Kernel-internal: restart the system call (never seen by user space) (512). */
  public static final Errno ERESTARTSYS = named(512, "ERESTARTSYS");

  /** Kernel-internal: restart the system call, not interrupted (513). */
  public static final Errno ERESTARTNOINTR = named(513, "ERESTARTNOINTR");

  /** Kernel-internal: restart if no signal handler (514). */
  public static final Errno ERESTARTNOHAND = named(514, "ERESTARTNOHAND");

  /** Kernel-internal: no such ioctl command (turned into {@code ENOTTY} at the syscall) (515). */
  public static final Errno ENOIOCTLCMD = named(515, "ENOIOCTLCMD");

  /** Kernel-internal: restart by calling {@code sys_restart_syscall} (516). */
  public static final Errno ERESTART_RESTARTBLOCK = named(516, "ERESTART_RESTARTBLOCK");

  /** Kernel-internal: the driver requests a probe retry (517). */
  public static final Errno EPROBE_DEFER = named(517, "EPROBE_DEFER");

  /** Kernel-internal: open found a stale dentry (518). */
  public static final Errno EOPENSTALE = named(518, "EOPENSTALE");

  /** Kernel-internal: parameter not supported (519). */
  public static final Errno ENOPARAM = named(519, "ENOPARAM");

  /** Kernel-internal (NFS): illegal NFS file handle (521). */
  public static final Errno EBADHANDLE = named(521, "EBADHANDLE");

  /** Kernel-internal (NFS): update synchronization mismatch (522). */
  public static final Errno ENOTSYNC = named(522, "ENOTSYNC");

  /** Kernel-internal (NFS): cookie is stale (523). */
  public static final Errno EBADCOOKIE = named(523, "EBADCOOKIE");

  /** Kernel-internal (NFS): operation is not supported (524). */
  public static final Errno ENOTSUPP = named(524, "ENOTSUPP");

  /** Kernel-internal (NFS): buffer or request is too small (525). */
  public static final Errno ETOOSMALL = named(525, "ETOOSMALL");

  /** Kernel-internal (NFS): an untranslatable error occurred (526). */
  public static final Errno ESERVERFAULT = named(526, "ESERVERFAULT");

  /** Kernel-internal (NFS): type not supported by server (527). */
  public static final Errno EBADTYPE = named(527, "EBADTYPE");

  /** Kernel-internal (NFS): request initiated, but will not complete before timeout (528). */
  public static final Errno EJUKEBOX = named(528, "EJUKEBOX");

  /** Kernel-internal: iocb queued, will get completion event (529). */
  public static final Errno EIOCBQUEUED = named(529, "EIOCBQUEUED");

  /** Kernel-internal (NFS): conflict with recalled state (530). */
  public static final Errno ERECALLCONFLICT = named(530, "ERECALLCONFLICT");

  /** Kernel-internal (NFS): NFS file lock reclaim refused (531). */
  public static final Errno ENOGRACE = named(531, "ENOGRACE");

  /** Operation would block: the same number and object as {@link #EAGAIN} (11). */
  public static final Errno EWOULDBLOCK = EAGAIN;

  /** Resource deadlock would occur: the same number and object as {@link #EDEADLK} (35). */
  public static final Errno EDEADLOCK = EDEADLK;

  /** The positive errno number. */
  private final int code;

  /** The C name, or {@code "errno <n>"} for a number without one. */
  private final String name;

  private Errno(int code, String name) {
    this.code = code;
    this.name = name;
  }

  private static Errno named(int code, String name) {
    Errno e = new Errno(code, name);
    BY_CODE.set(code, e);
    NAMED.add(e);
    BY_NAME.put(name, e);
    return e;
  }

  /**
   * Returns the positive errno number, as found in {@code errno} after a failed call.
   *
   * @return the errno number, e.g. 22 for {@code EINVAL}
   */
  public int code() {
    return code;
  }

  /**
   * Returns the C name ({@code "EINVAL"}), or {@code "errno <n>"} for a number without one (41, 58,
   * 134–511, 520, 532–4095).
   *
   * @return the C name or {@code "errno <n>"}
   */
  public String name() {
    return name;
  }

  /**
   * Returns whether this number has a C name (a constant of this class).
   *
   * @return true for a named constant
   */
  public boolean isNamed() {
    return BY_NAME.get(name) == this;
  }

  /**
   * Returns the errno with the given positive number, named or not; always the same object for the
   * same number.
   *
   * @param code the errno number, 1 to {@link #MAX_ERRNO}
   * @return the errno of that number
   * @throws IllegalArgumentException unless {@code 1 <= code <= MAX_ERRNO}
   */
  public static Errno of(int code) {
    if (code < 1 || code > MAX_ERRNO) {
      throw new IllegalArgumentException("errno out of range 1.." + MAX_ERRNO + ": " + code);
    }
    Errno e = BY_CODE.get(code);
    if (e != null) {
      return e;
    }
    Errno fresh = new Errno(code, "errno " + code);
    Errno raced = BY_CODE.compareAndExchange(code, null, fresh);
    return raced == null ? fresh : raced;
  }

  /**
   * Returns the named errno called {@code name} ({@code "EINVAL"}; the aliases {@code
   * "EWOULDBLOCK"} and {@code "EDEADLOCK"} too), as an enum's {@code valueOf}.
   *
   * @param name the C name
   * @return the errno of that name
   * @throws IllegalArgumentException if no constant has that name
   */
  public static Errno valueOf(String name) {
    if (name.equals("EWOULDBLOCK")) {
      return EWOULDBLOCK;
    } else if (name.equals("EDEADLOCK")) {
      return EDEADLOCK;
    }
    Errno e = BY_NAME.get(name);
    if (e == null) {
      throw new IllegalArgumentException("no errno named " + name);
    }
    return e;
  }

  /**
   * Returns the named errnos in increasing number order (aliases once), as an enum's values.
   *
   * @return a new array of the named errnos
   */
  public static Errno[] values() {
    return NAMED.toArray(new Errno[0]);
  }

  /**
   * Keeps one instance per number across serialization.
   *
   * @return the one instance of this number
   */
  private Object readResolve() {
    return of(code);
  }

  /** Orders by number. */
  @Override
  public int compareTo(Errno other) {
    return Integer.compare(code, other.code);
  }

  /** Returns {@link #name()}, as an enum's {@code toString}. */
  @Override
  public String toString() {
    return name;
  }
}
