//! An AF_PACKET socket: creation, options, binding and polling.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use libc::{c_int, c_void, socklen_t};

use super::packet::ETH_P_ALL;
use crate::bpf::Instruction;
use crate::error::{CaptureError, Result};

/// An open AF_PACKET socket, closed on drop.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    device: String,
}

impl PacketSocket {
    /// Opens a socket of `kind` (`SOCK_RAW` or `SOCK_DGRAM`) that receives nothing until
    /// [`PacketSocket::bind`], so no packet reaches it before the filter is attached.
    pub fn open(kind: c_int, device: &str) -> Result<Self> {
        // SAFETY: socket() takes no pointers; the return value is checked before use.
        let fd = unsafe { libc::socket(libc::AF_PACKET, kind | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(system_error("socket(AF_PACKET)", device));
        }
        // SAFETY: fd is a freshly created descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(PacketSocket {
            fd,
            device: device.to_owned(),
        })
    }

    /// Returns the capture device name, for error messages.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Sets a socket option whose value is the plain-data struct `value`.
    pub fn set_option<T: Copy>(
        &self,
        level: c_int,
        name: c_int,
        value: &T,
        operation: &'static str,
    ) -> Result<()> {
        // SAFETY: the pointer and length describe `value`, which lives for the call; the
        // kernel only reads that many bytes.
        let status = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (value as *const T).cast::<c_void>(),
                socklen(mem::size_of::<T>()),
            )
        };
        if status < 0 {
            return Err(system_error(operation, &self.device));
        }
        Ok(())
    }

    /// Reads a socket option into a plain-data struct.
    pub fn get_option<T: Copy + Default>(
        &self,
        level: c_int,
        name: c_int,
        operation: &'static str,
    ) -> Result<T> {
        let mut value = T::default();
        let mut length = socklen(mem::size_of::<T>());
        // SAFETY: the pointer and length describe `value`, which is writable and lives for
        // the call; the kernel writes at most `length` bytes and updates `length`.
        let status = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (&mut value as *mut T).cast::<c_void>(),
                &mut length,
            )
        };
        if status < 0 {
            return Err(system_error(operation, &self.device));
        }
        Ok(value)
    }

    /// Attaches a classic BPF program as the socket filter.
    pub fn attach_filter(&self, program: &[Instruction]) -> Result<()> {
        let length = u16::try_from(program.len()).map_err(|_| CaptureError::FilterTooLarge {
            instructions: program.len(),
            max: crate::bpf::MAX_INSTRUCTIONS,
        })?;
        let fprog = libc::sock_fprog {
            len: length,
            // The kernel copies the program and never writes through this pointer.
            filter: program.as_ptr().cast_mut().cast::<libc::sock_filter>(),
        };
        self.set_option(
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            &fprog,
            "setsockopt(SO_ATTACH_FILTER)",
        )
    }

    /// Starts receiving all protocols on `ifindex` (0 means every interface).
    pub fn bind(&self, ifindex: u32) -> Result<()> {
        let ifindex = c_int::try_from(ifindex).map_err(|_| {
            CaptureError::Config(format!("interface index {ifindex} is out of range"))
        })?;
        // SAFETY: sockaddr_ll is plain data for which all-zero bytes are a valid value.
        let mut address: libc::sockaddr_ll = unsafe { mem::zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_protocol = ETH_P_ALL.to_be();
        address.sll_ifindex = ifindex;
        // SAFETY: the pointer and length describe `address`, which lives for the call.
        let status = unsafe {
            libc::bind(
                self.fd.as_raw_fd(),
                (&address as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
                socklen(mem::size_of::<libc::sockaddr_ll>()),
            )
        };
        if status < 0 {
            return Err(system_error("bind(AF_PACKET)", &self.device));
        }
        Ok(())
    }

    /// Waits up to `timeout_ms` for the ring to have data or the socket to report an error.
    /// A pending socket error is read (which clears it) and returned as
    /// [`Readiness::Error`]. A signal interrupting the wait gives [`Readiness::Idle`].
    pub fn poll(&self, timeout_ms: c_int) -> Result<Readiness> {
        let mut entry = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN | libc::POLLERR,
            revents: 0,
        };
        // SAFETY: `entry` is one valid pollfd that lives for the call.
        let status = unsafe { libc::poll(&mut entry, 1, timeout_ms) };
        if status < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                return Ok(Readiness::Idle);
            }
            return Err(CaptureError::System {
                operation: "poll",
                device: self.device.clone(),
                source: error,
            });
        }
        if entry.revents & libc::POLLERR != 0 {
            let code: c_int =
                self.get_option(libc::SOL_SOCKET, libc::SO_ERROR, "getsockopt(SO_ERROR)")?;
            if code != 0 {
                return Ok(Readiness::Error(io::Error::from_raw_os_error(code)));
            }
        }
        Ok(if status > 0 {
            Readiness::Readable
        } else {
            Readiness::Idle
        })
    }
}

/// The outcome of [`PacketSocket::poll`].
#[derive(Debug)]
pub enum Readiness {
    /// The ring may have data.
    Readable,
    /// The wait timed out or was interrupted.
    Idle,
    /// The socket reported an error, such as ENETDOWN when the interface went down.
    Error(io::Error),
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn socklen(size: usize) -> socklen_t {
    socklen_t::try_from(size).expect("socket option structs are a few bytes long")
}

/// Builds an error from `errno` for `operation` on `device`.
pub fn system_error(operation: &'static str, device: &str) -> CaptureError {
    CaptureError::System {
        operation,
        device: device.to_owned(),
        source: io::Error::last_os_error(),
    }
}
