//! Frame decoding entry point: link layer, then IP, then UDP or TCP.

use crate::ip::{decode_ip, Payload};
use crate::link::decode_link;
use crate::transport::decode_upper;
use crate::{DecodeError, Decoded, Frame, LinkType, Transport};

/// Decodes a captured frame down to its UDP datagram, TCP segment or IP fragment.
///
/// Checksums are not verified. The returned slices borrow from `frame.data`.
pub fn decode<'a>(frame: &Frame<'a>) -> Result<Decoded<'a>, DecodeError> {
    decode_data(frame.link_type, frame.data)
}

/// Decodes `data` captured on a link of type `link_type`; see [`decode`].
pub fn decode_data(link_type: LinkType, data: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let link = decode_link(link_type, data)?;
    let packet = decode_ip(data, link.offset, link.hint)?;
    let transport = match packet.payload {
        Payload::Upper(payload) => decode_upper(packet.ip.protocol, payload)?,
        Payload::Fragment(fragment) => Transport::Fragment(fragment),
    };
    Ok(Decoded {
        vlans: link.vlans,
        ip: packet.ip,
        transport,
    })
}
