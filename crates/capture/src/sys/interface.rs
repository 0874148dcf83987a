//! Interface lookups through ioctls on the capture socket, so they see the socket's network
//! namespace.

use std::io;
use std::mem;
use std::os::fd::AsRawFd;

use super::socket::PacketSocket;
use crate::error::{CaptureError, Result};

/// Index and hardware type of a network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    /// Kernel interface index.
    pub index: u32,
    /// `ARPHRD_*` hardware type.
    pub hardware_type: u16,
}

/// Looks up `name` with SIOCGIFINDEX and SIOCGIFHWADDR.
pub fn lookup(socket: &PacketSocket, name: &str) -> Result<Interface> {
    let mut request = request_for(name)?;
    ioctl(socket, libc::SIOCGIFINDEX, &mut request, name)?;
    // SAFETY: SIOCGIFINDEX succeeded, so the kernel wrote the ifindex member of the union.
    let index = unsafe { request.ifr_ifru.ifru_ifindex };
    ioctl(socket, libc::SIOCGIFHWADDR, &mut request, name)?;
    // SAFETY: SIOCGIFHWADDR succeeded, so the kernel wrote the hwaddr member of the union.
    let hardware_type = unsafe { request.ifr_ifru.ifru_hwaddr.sa_family };
    Ok(Interface {
        index: u32::try_from(index).map_err(|_| CaptureError::InterfaceNotFound {
            name: name.to_owned(),
        })?,
        hardware_type,
    })
}

fn request_for(name: &str) -> Result<libc::ifreq> {
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
        return Err(CaptureError::InterfaceNotFound {
            name: name.to_owned(),
        });
    }
    // SAFETY: ifreq is plain data (a name array and a union of plain data) for which all-zero
    // bytes are valid.
    let mut request: libc::ifreq = unsafe { mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    Ok(request)
}

fn ioctl(
    socket: &PacketSocket,
    command: libc::c_ulong,
    request: &mut libc::ifreq,
    name: &str,
) -> Result<()> {
    // SAFETY: both commands read the NUL-terminated name from `request` and write one union
    // member inside it; `request` is valid and writable for the call.
    let status = unsafe { libc::ioctl(socket.as_raw_fd(), command as _, request as *mut _) };
    if status < 0 {
        let error = io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::ENODEV) {
            return Err(CaptureError::InterfaceNotFound {
                name: name.to_owned(),
            });
        }
        return Err(CaptureError::System {
            operation: "ioctl(SIOCGIFINDEX/SIOCGIFHWADDR)",
            device: name.to_owned(),
            source: error,
        });
    }
    Ok(())
}
