//! An iommufd dirty-tracking client written as a rust-vmm user writes one: libc's `open`, `ioctl`,
//! `mmap` and `close` declared by hand, `#[repr(C)]` structs from `uapi.rs` (generated from the
//! jvfio-api records, with compile-time size and offset checks), no crates. Like the C client
//! `bridge/src/test/c/dirty_tracking.c` it allocates an IOAS, maps guest memory, makes a mock
//! device (IOMMU_TEST_CMD) write through a dirty-tracking HWPT and reads the bitmaps back; it also
//! binds the VFIO device cdev `/dev/vfio/devices/vfio0`, gives it a dirty-tracking HWPT and
//! duplicates fds as `std` does (`F_DUPFD_CLOEXEC`).
//!
//! Run: `bin/jvfio-run --iommufd-test --device stop-copy -- target/.../jvfio-rust-client`

#[rustfmt::skip] // generated
mod uapi;

use std::ffi::{c_char, c_int, c_ulong, c_void, CString};
use std::fs::File;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};
use uapi::*;

extern "C" {
    fn open(path: *const c_char, flags: c_int, ...) -> c_int;
    fn close(fd: c_int) -> c_int;
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    fn mmap(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        off: i64,
    ) -> *mut c_void;
}

const O_RDWR: c_int = 2;
const O_CLOEXEC: c_int = 0o2000000;
const PROT_READ: c_int = 1;
const PROT_WRITE: c_int = 2;
const MAP_SHARED: c_int = 1;
const MAP_PRIVATE: c_int = 2;
const MAP_ANONYMOUS: c_int = 0x20;
const ENODEV: i32 = 19;
const EINVAL: i32 = 22;
const EOPNOTSUPP: i32 = 95;

const IOVA: u64 = 1 << 24;
const PAGE: u64 = 4096;
const NPAGES: u64 = 256;
const BITMAP_BYTES: usize = (NPAGES / 8) as usize;

/// The payloads of `struct iommu_test_cmd` that this client uses
/// (`drivers/iommu/iommufd/iommufd_test.h`, not a uapi header, so declared here).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct MockDomain {
    out_stdev_id: u32,
    out_hwpt_id: u32,
    out_idev_id: u32,
    dev_flags: u32, // mock_domain_flags only
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CheckMap {
    iova: u64,
    length: u64,
    uptr: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Dirty {
    flags: u32,
    iova: u64,
    length: u64,
    page_size: u64,
    uptr: u64,
    out_nr_dirty: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
union TestPayload {
    mock_domain: MockDomain,
    pt_id: u32, // mock_domain_replace
    check_map: CheckMap,
    dirty: Dirty,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct iommu_test_cmd {
    size: u32,
    op: u32,
    id: u32,
    __reserved: u32,
    u: TestPayload,
    last: u32,
}
// The sizes the Java record side of jvfio states (IommufdTest), not numbers of our own.
const _: () = assert!(size_of::<iommu_test_cmd>() == IOMMU_TEST_CMD_SIZE as usize);
const _: () =
    assert!(std::mem::offset_of!(iommu_test_cmd, last) + 4 == IOMMU_TEST_CMD_MIN_SIZE as usize);

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `ioctl(fd, request, arg)`: Ok, or Err(errno).
fn ioctl_arg<T>(fd: c_int, request: u32, arg: &mut T) -> Result<(), i32> {
    // SAFETY: arg is a live, exclusively borrowed struct of the layout the request expects.
    let rc = unsafe { ioctl(fd, request as c_ulong, arg as *mut T) };
    if rc < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

fn size<T>() -> u32 {
    size_of::<T>() as u32
}

fn test_cmd(fd: c_int, op: u32, id: u32, u: TestPayload) -> Result<TestPayload, i32> {
    let mut cmd = iommu_test_cmd {
        size: size::<iommu_test_cmd>(),
        op,
        id,
        __reserved: 0,
        u,
        last: 0,
    };
    ioctl_arg(fd, IOMMU_TEST_CMD, &mut cmd).map(|_| cmd.u)
}

fn mock_domain(fd: c_int, pt_id: u32, dev_flags: u32) -> Result<MockDomain, i32> {
    let md = MockDomain {
        dev_flags,
        ..Default::default()
    };
    let op = if dev_flags == 0 {
        IOMMU_TEST_OP_MOCK_DOMAIN
    } else {
        IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS
    };
    // SAFETY: the kernel fills the mock_domain member.
    test_cmd(fd, op, pt_id, TestPayload { mock_domain: md }).map(|u| unsafe { u.mock_domain })
}

fn hwpt_alloc(fd: c_int, dev_id: u32, pt_id: u32, flags: u32) -> Result<u32, i32> {
    let mut alloc = iommu_hwpt_alloc {
        size: size::<iommu_hwpt_alloc>(),
        flags,
        dev_id,
        pt_id,
        ..Default::default()
    };
    ioctl_arg(fd, IOMMU_HWPT_ALLOC, &mut alloc).map(|_| alloc.out_hwpt_id)
}

fn set_dirty_tracking(fd: c_int, hwpt_id: u32, enable: bool) -> Result<(), i32> {
    let flags = if enable {
        IOMMU_HWPT_DIRTY_TRACKING_ENABLE
    } else {
        0
    };
    let mut set = iommu_hwpt_set_dirty_tracking {
        size: size::<iommu_hwpt_set_dirty_tracking>(),
        flags,
        hwpt_id,
        ..Default::default()
    };
    ioctl_arg(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &mut set)
}

fn get_dirty_bitmap(
    fd: c_int,
    hwpt_id: u32,
    page_size: u64,
    data: *mut u8,
    flags: u32,
) -> Result<(), i32> {
    let mut get = iommu_hwpt_get_dirty_bitmap {
        size: size::<iommu_hwpt_get_dirty_bitmap>(),
        hwpt_id,
        flags,
        iova: IOVA,
        length: NPAGES * PAGE,
        page_size,
        data: data as u64,
        ..Default::default()
    };
    ioctl_arg(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &mut get)
}

fn ioas_alloc(fd: c_int) -> u32 {
    let mut alloc = iommu_ioas_alloc {
        size: size::<iommu_ioas_alloc>(),
        ..Default::default()
    };
    ioctl_arg(fd, IOMMU_IOAS_ALLOC, &mut alloc).expect("IOMMU_IOAS_ALLOC");
    alloc.out_ioas_id
}

fn destroy(fd: c_int, id: u32) {
    let mut d = iommu_destroy {
        size: size::<iommu_destroy>(),
        id,
    };
    ioctl_arg(fd, IOMMU_DESTROY, &mut d).expect("IOMMU_DESTROY");
}

/// The first guest memory the bridge mapped into this process (`$JVFIO_GUEST_MEMORY`).
fn guest_memory() -> u64 {
    let env =
        std::env::var("JVFIO_GUEST_MEMORY").expect("no guest memory: run under bin/jvfio-run");
    let base = env.split(':').next().unwrap().trim_start_matches("0x");
    u64::from_str_radix(base, 16).expect("JVFIO_GUEST_MEMORY")
}

fn main() {
    let path = CString::new("/dev/iommu").unwrap();
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { open(path.as_ptr(), O_RDWR | O_CLOEXEC) };
    assert!(fd >= 0, "open /dev/iommu: errno {}", errno());

    let ioas = ioas_alloc(fd);
    // The mock device's domains are MOCK_IOMMUPT_DEFAULT tables (mock_domain_alloc_paging_flags in
    // drivers/iommu/iommufd/selftest.c), which map 1 MiB leaves where memory allows: page-sized
    // marks need page-sized leaves, so turn huge pages off as the selftest's dirty fixture does.
    let mut huge = iommu_option {
        size: size::<iommu_option>(),
        option_id: IOMMU_OPTION_HUGE_PAGES,
        op: IOMMU_OPTION_OP_SET as u16,
        object_id: ioas,
        val64: 0,
        ..Default::default()
    };
    ioctl_arg(fd, IOMMU_OPTION, &mut huge).expect("IOMMU_OPTION HUGE_PAGES");
    let md = mock_domain(fd, ioas, 0).expect("IOMMU_TEST_OP_MOCK_DOMAIN");
    assert_eq!((md.out_stdev_id, md.out_idev_id), (ioas + 1, ioas + 2));
    let hwpt = hwpt_alloc(fd, md.out_idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
        .expect("IOMMU_HWPT_ALLOC");
    test_cmd(
        fd,
        IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
        md.out_stdev_id,
        TestPayload { pt_id: hwpt },
    )
    .expect("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE");

    let buffer = guest_memory();
    let mut map = iommu_ioas_map {
        size: size::<iommu_ioas_map>(),
        flags: IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        ioas_id: ioas,
        user_va: buffer,
        length: NPAGES * PAGE,
        iova: IOVA,
        ..Default::default()
    };
    ioctl_arg(fd, IOMMU_IOAS_MAP, &mut map).expect("IOMMU_IOAS_MAP");
    let check = CheckMap {
        iova: IOVA,
        length: NPAGES * PAGE,
        uptr: buffer,
    };
    test_cmd(
        fd,
        IOMMU_TEST_OP_MD_CHECK_MAP,
        hwpt,
        TestPayload { check_map: check },
    )
    .expect("MD_CHECK_MAP");

    // The device writes pages 0, 8, 63 and 234: marking needs tracking on.
    let mut marks = [0u64; (NPAGES / 64) as usize];
    marks[0] = 0x8000_0000_0000_0101;
    marks[3] = 1 << 42;
    let dirty = Dirty {
        iova: IOVA,
        length: NPAGES * PAGE,
        page_size: PAGE,
        uptr: marks.as_ptr() as u64,
        ..Default::default()
    };
    let mark = |fd| test_cmd(fd, IOMMU_TEST_OP_DIRTY, hwpt, TestPayload { dirty });
    assert_eq!(mark(fd).err(), Some(EINVAL));
    set_dirty_tracking(fd, hwpt, true).expect("IOMMU_HWPT_SET_DIRTY_TRACKING");
    // SAFETY: the kernel fills the dirty member.
    assert_eq!(
        unsafe { mark(fd).expect("IOMMU_TEST_OP_DIRTY").dirty.out_nr_dirty },
        4
    );

    // Bitmaps at an unaligned address (+0xff1) of two anonymous pages: NO_CLEAR twice, then clear.
    // SAFETY: an anonymous mapping, used only as bytes below.
    let area = unsafe {
        mmap(
            std::ptr::null_mut(),
            2 * PAGE as usize,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert!(area as isize != -1, "mmap: errno {}", errno());
    // SAFETY: the two pages are ours and nothing else refers to them.
    let area = unsafe { std::slice::from_raw_parts_mut(area as *mut u8, 2 * PAGE as usize) };
    let want: Vec<u8> = marks.iter().flat_map(|w| w.to_le_bytes()).collect();
    for (round, flags) in [
        IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
        IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
        0,
        0,
    ]
    .into_iter()
    .enumerate()
    {
        area.fill(0);
        let bitmap = area[0xff1..].as_mut_ptr();
        get_dirty_bitmap(fd, hwpt, PAGE, bitmap, flags).expect("IOMMU_HWPT_GET_DIRTY_BITMAP");
        let got = &area[0xff1..0xff1 + BITMAP_BYTES];
        if round < 3 {
            assert_eq!(got, &want[..], "round {round}");
        } else {
            assert!(got.iter().all(|&b| b == 0), "cleared by round 2");
        }
        assert_eq!(
            (area[0xff0], area[0xff1 + BITMAP_BYTES]),
            (0, 0),
            "nothing outside the bitmap"
        );
    }
    assert_eq!(
        get_dirty_bitmap(fd, hwpt, 0, area.as_mut_ptr(), 0),
        Err(EINVAL),
        "page_size 0 (iommufd_check_iova_range)"
    );

    // The VFIO device cdev, opened by std (open64): bind, its own dirty-tracking HWPT, attach.
    let dev = File::options()
        .read(true)
        .write(true)
        .open("/dev/vfio/devices/vfio0")
        .expect("open vfio0");
    let mut bind = vfio_device_bind_iommufd {
        argsz: size::<vfio_device_bind_iommufd>(),
        iommufd: fd,
        ..Default::default()
    };
    ioctl_arg(dev.as_raw_fd(), VFIO_DEVICE_BIND_IOMMUFD, &mut bind)
        .expect("VFIO_DEVICE_BIND_IOMMUFD");
    let dev_hwpt = hwpt_alloc(fd, bind.out_devid, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
        .expect("HWPT for vfio0");
    let mut attach = vfio_device_attach_iommufd_pt {
        argsz: size::<vfio_device_attach_iommufd_pt>(),
        pt_id: dev_hwpt,
        ..Default::default()
    };
    ioctl_arg(dev.as_raw_fd(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, &mut attach)
        .expect("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
    assert_eq!(attach.pt_id, dev_hwpt);
    set_dirty_tracking(fd, dev_hwpt, true).expect("dirty tracking for vfio0");
    area.fill(0);
    get_dirty_bitmap(fd, dev_hwpt, PAGE, area.as_mut_ptr(), 0).expect("bitmap of vfio0");
    assert!(
        area[..BITMAP_BYTES].iter().all(|&b| b == 0),
        "vfio0 has not written"
    );
    // SAFETY: mmap of our fds, expected to fail; nothing is dereferenced.
    unsafe {
        assert_eq!(
            mmap(
                std::ptr::null_mut(),
                4096,
                PROT_READ,
                MAP_SHARED,
                dev.as_raw_fd(),
                0
            ) as isize,
            -1
        );
        assert_eq!(errno(), EINVAL, "mmap of a VFIO cdev: no mmappable region");
        assert_eq!(
            mmap(std::ptr::null_mut(), 4096, PROT_READ, MAP_SHARED, fd, 0) as isize,
            -1
        );
        assert_eq!(errno(), ENODEV, "mmap of the iommufd");
    }

    // std's try_clone is fcntl(F_DUPFD_CLOEXEC): the clone is the same iommufd.
    // SAFETY: fd stays open for the borrow.
    let clone = unsafe { BorrowedFd::borrow_raw(fd) }
        .try_clone_to_owned()
        .expect("F_DUPFD_CLOEXEC");
    let next = ioas_alloc(clone.as_raw_fd());
    drop(clone);
    assert_eq!(
        ioas_alloc(fd),
        next + 1,
        "the clone allocated in the same iommufd"
    );

    // A NO_DIRTY mock device: refused by a dirty HWPT, cannot allocate one.
    assert_eq!(
        mock_domain(fd, hwpt, MOCK_FLAGS_DEVICE_NO_DIRTY).err(),
        Some(EINVAL)
    );
    let nd = mock_domain(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY).expect("NO_DIRTY mock device");
    assert_eq!(
        hwpt_alloc(fd, nd.out_idev_id, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING).err(),
        Some(EOPNOTSUPP)
    );

    destroy(fd, nd.out_stdev_id);
    destroy(fd, md.out_stdev_id);
    drop(dev);
    // SAFETY: our fd, closed once.
    assert_eq!(unsafe { close(fd) }, 0);
    println!("rust_client: ok");
}
