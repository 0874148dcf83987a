//! Note texts attached to transactions.
//!
//! These strings are an interface: Packetbeat 7.17 writes them to `error.message`, and Wazuh rules
//! match on them, so each one is byte-for-byte the text Packetbeat's DNS module uses.

/// A second query with the same key arrived while this one was pending.
pub const DUPLICATE_QUERY: &str = "Another query with the same DNS ID from this client was received so this query was closed without receiving a response";

/// The query timed out (or was flushed or evicted) without a response.
pub const NO_RESPONSE: &str = "No response to this query was received";

/// A response arrived with no pending query under the reversed key.
pub const ORPHANED_RESPONSE: &str = "Response: received without an associated Query";

/// A UDP query without an OPT record is larger than 512 bytes.
pub const REQUEST_TOO_LARGE: &str = "Non-EDNS packet has size greater than 512";

/// A UDP response without an OPT record is larger than 512 bytes.
pub const RESPONSE_TOO_LARGE: &str = "Response: Non-EDNS packet has size greater than 512";

/// The query carried an OPT record and the UDP response did not.
pub const RESPONDER_NO_EDNS: &str = "Responder does not support EDNS";

/// The UDP response carried an OPT record and the query did not.
pub const UNEXPECTED_EDNS: &str = "Unexpected EDNS answer";

/// Bytes in the response direction of a TCP connection could not be decoded as DNS.
pub const RESPONSE_NOT_DNS: &str = "Response: Message's data could not be decoded as DNS";

/// A TCP length prefix in the response direction was zero.
pub const RESPONSE_ZERO_LENGTH: &str = "Response: Message's length was set to zero";

/// A TCP response was cut by a FIN, an RST, a sequence gap or an idle timeout.
pub const RESPONSE_INCOMPLETE: &str = "Response: Message's data is incomplete";

/// Largest UDP DNS message allowed without EDNS (RFC 1035 section 4.2.1).
pub const MAX_NON_EDNS_UDP_SIZE: usize = 512;

/// Prefix of a note that carries a parser anomaly found in the query.
pub const REQUEST_ANOMALY_PREFIX: &str = "Request: ";

/// Prefix of a note that carries a parser anomaly found in the response.
pub const RESPONSE_ANOMALY_PREFIX: &str = "Response: ";
