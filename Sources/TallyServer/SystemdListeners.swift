import Systemd

/// The listeners tally takes from systemd socket activation (`--web.systemd-socket`). The names are the
/// `FileDescriptorName=` of the socket units in deploy/systemd, which users copy: do not change them.
extension SocketActivation.Listener {
    /// The HTTP server: listening TCP sockets (`ListenStream=` with a port or an address). A lone socket without
    /// a name is taken as this one.
    static let http = SocketActivation.Listener(name: "http", socket: .listeningStream(family: .internet))

    /// The stream push socket: a listening UNIX stream socket (`ListenStream=` with a path).
    static let push = SocketActivation.Listener(name: "push", socket: .listeningStream(family: .unix))

    /// The datagram push socket: a UNIX datagram socket (`ListenDatagram=` with a path).
    static let pushDatagram = SocketActivation.Listener(name: "push-dgram", socket: .datagram(family: .unix))

    /// The OTLP/HTTP receiver: a listening TCP socket.
    static let otlp = SocketActivation.Listener(name: "otlp", socket: .listeningStream(family: .internet))
}
