//! The DNS transaction event as a typed tree that borrows the transaction, and its assembly.
//!
//! Which message feeds what (Packetbeat 7.17): with both a query and a response, `dns.*`
//! describes the response while `method`, `query` and `resource` come from the query. With
//! one side only, everything comes from that side. `status` is `OK` only when both sides
//! exist and the response code (EDNS bits merged) is 0. The event time is the query's, or
//! the response's for a response without a query.

use std::net::{IpAddr, SocketAddr};

use dnstel_dns::{Message, Opcode, Question};
use dnstel_pairing::{Side, Transaction, Transport};

use crate::community_id::{CommunityId, DEFAULT_SEED};
use crate::domain::DomainParts;
use crate::network::{direction, network_type, Direction, InternalNetworks};
use crate::request_text::message_text;

/// `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `OK`: query and response, response code 0.
    Ok,
    /// `Error`: anything else.
    Error,
}

impl Status {
    /// Returns the JSON text of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Error => "Error",
        }
    }
}

/// `dns.type`: `answer` when a response exists, `query` otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsType {
    /// Query only.
    Query,
    /// A response exists.
    Answer,
}

impl DnsType {
    /// Returns the JSON text of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsType::Query => "query",
            DnsType::Answer => "answer",
        }
    }
}

/// The `dns` object.
#[derive(Clone, Debug)]
pub struct DnsFields<'a> {
    /// `dns.type`.
    pub kind: DnsType,
    /// The message every other `dns.*` field describes.
    pub message: &'a Message,
    /// Public suffix fields of the message's first question.
    pub domain: Option<DomainParts<'a>>,
    /// Whether to write `dns.authorities`.
    pub include_authorities: bool,
    /// Whether to write `dns.additionals`.
    pub include_additionals: bool,
}

/// `source` / `destination` (and their copies `client` / `server`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `ip`.
    pub ip: IpAddr,
    /// `port` (left out when 0).
    pub port: u16,
    /// `bytes`: DNS payload bytes sent by this side (left out when 0).
    pub bytes: u64,
}

impl Endpoint {
    fn new(address: SocketAddr, bytes: u64) -> Self {
        Endpoint {
            ip: address.ip(),
            port: address.port(),
            bytes,
        }
    }
}

/// The `network` object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkFields {
    /// `network.type`: `ipv4` or `ipv6`.
    pub kind: &'static str,
    /// `network.transport`.
    pub transport: Transport,
    /// `network.direction`.
    pub direction: Direction,
    /// `network.community_id`.
    pub community_id: Option<CommunityId>,
    /// `network.bytes`: source plus destination bytes (left out when 0).
    pub bytes: u64,
}

/// `event.start`, `event.end` and `event.duration`, in nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventTimes {
    /// Query time.
    pub start: Option<i64>,
    /// Response time.
    pub end: Option<i64>,
    /// `end - start` in nanoseconds, when both exist and it is not negative.
    pub duration: Option<i64>,
}

/// One DNS transaction event, borrowing the transaction's messages.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    /// `@timestamp` in nanoseconds since the epoch.
    pub timestamp: i64,
    /// `status`.
    pub status: Status,
    /// `method`: the opcode of the query (or of a response without a query).
    pub method: Opcode,
    /// The first question of the query side, for `query` and `resource`.
    pub question: Option<&'a Question>,
    /// `dns.*`.
    pub dns: DnsFields<'a>,
    /// `source.*` and `client.*`.
    pub source: Endpoint,
    /// `destination.*` and `server.*`.
    pub destination: Endpoint,
    /// `network.*`.
    pub network: NetworkFields,
    /// `event.start`, `event.end`, `event.duration`.
    pub times: EventTimes,
    /// `error.message`: one note is a string, several an array.
    pub notes: &'a [String],
    /// `request` text (with `send_request`).
    pub request_text: Option<String>,
    /// `response` text (with `send_response`).
    pub response_text: Option<String>,
}

/// Why a transaction produced no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// `ignore_outgoing` is set and the direction is `egress`.
    IgnoredOutgoing,
    /// The transaction has neither a query nor a response.
    NoMessage,
}

/// The options assembly needs.
#[derive(Clone, Debug, Default)]
pub(crate) struct AssemblyOptions {
    pub send_request: bool,
    pub send_response: bool,
    pub include_authorities: bool,
    pub include_additionals: bool,
    pub internal_networks: InternalNetworks,
    pub local_ips: Vec<IpAddr>,
    pub ignore_outgoing: bool,
}

impl<'a> Event<'a> {
    /// Builds the event for `transaction`. Inlined into the encoder, so that the compiler can
    /// build the event (360 bytes on x86-64) where it is used instead of copying it there.
    #[inline]
    pub(crate) fn assemble(
        transaction: &'a Transaction,
        options: &AssemblyOptions,
    ) -> Result<Event<'a>, Skipped> {
        let request = transaction.request.as_ref();
        let response = transaction.response.as_ref();
        let (dns_side, query_side) = match (request, response) {
            (Some(request), Some(response)) => (response, request),
            (Some(only), None) | (None, Some(only)) => (only, only),
            (None, None) => return Err(Skipped::NoMessage),
        };

        let source = Endpoint::new(transaction.client, side_bytes(request));
        let destination = Endpoint::new(transaction.server, side_bytes(response));
        let network = network_fields(transaction, &source, &destination, options);
        if options.ignore_outgoing && network.direction == Direction::Egress {
            return Err(Skipped::IgnoredOutgoing);
        }

        let status = match response {
            Some(response) if request.is_some() && response.message.rcode().0 == 0 => Status::Ok,
            _ => Status::Error,
        };
        let message = &dns_side.message;
        Ok(Event {
            timestamp: query_side.first_timestamp.as_nanos(),
            status,
            method: query_side.message.header.opcode,
            question: query_side.message.first_question(),
            dns: DnsFields {
                kind: if response.is_some() {
                    DnsType::Answer
                } else {
                    DnsType::Query
                },
                message,
                domain: message
                    .first_question()
                    .map(|question| DomainParts::from_name(&question.name)),
                include_authorities: options.include_authorities,
                include_additionals: options.include_additionals,
            },
            source,
            destination,
            network,
            times: event_times(request, response),
            notes: &transaction.notes,
            request_text: request
                .filter(|_| options.send_request)
                .map(|side| message_text(&side.message)),
            response_text: response
                .filter(|_| options.send_response)
                .map(|side| message_text(&side.message)),
        })
    }
}

fn side_bytes(side: Option<&Side>) -> u64 {
    side.map_or(0, |side| side.bytes as u64)
}

fn network_fields(
    transaction: &Transaction,
    source: &Endpoint,
    destination: &Endpoint,
    options: &AssemblyOptions,
) -> NetworkFields {
    NetworkFields {
        kind: network_type(source.ip),
        transport: transaction.transport,
        direction: direction(
            source.ip,
            destination.ip,
            &options.local_ips,
            &options.internal_networks,
        ),
        community_id: CommunityId::cached(
            DEFAULT_SEED,
            (source.ip, source.port),
            (destination.ip, destination.port),
            transaction.transport,
        ),
        bytes: source.bytes.saturating_add(destination.bytes),
    }
}

fn event_times(request: Option<&Side>, response: Option<&Side>) -> EventTimes {
    let start = request.map(|side| side.first_timestamp.as_nanos());
    let end = response.map(|side| side.first_timestamp.as_nanos());
    let duration = match (start, end) {
        (Some(start), Some(end)) => end.checked_sub(start).filter(|elapsed| *elapsed >= 0),
        _ => None,
    };
    EventTimes {
        start,
        end,
        duration,
    }
}
