using System.Collections.Concurrent;
using System.Net.Sockets;
using StackExchange.Redis;

namespace DrAssistant.Api.Auth;

/// <summary>
/// Sessions as this process last read them from Redis, so a request does not pay a Redis round trip to authenticate,
/// kept exact by Redis itself: a connection of its own asks Redis for client tracking in broadcast mode
/// (<c>CLIENT TRACKING ON BCAST PREFIX session:</c>, Redis 6+), so Redis sends it the name of every <c>session:*</c> key
/// any client changes, deletes, or that expires or is evicted, and this process forgets that session.
/// <para>
/// <b>Why a session ended anywhere stops working at once.</b> Redis writes the invalidation to this connection's socket
/// in the same pass of its event loop as its reply to the command that ended the session (and before its reply to any
/// later command: the logout's second command, the <c>PING</c> after ending a user's sessions). Every lookup first drains
/// whatever the socket holds (one non-blocking <c>poll</c>, under a lock): so once the client that ended a session has
/// its answer, any request it (or anyone) sends next finds the invalidation applied, on every instance.
/// </para>
/// <para>
/// <b>When it cannot know, it does not answer.</b> Entries are served only while the connection is up, tracking is on,
/// and Redis answered a heartbeat <c>PING</c> recently (within four heartbeats: a connection that went silent is not
/// trusted). Otherwise every lookup reads Redis, as without this cache (and fails closed when Redis cannot be reached).
/// On every (re)connection the cache starts empty: invalidations missed while it was down cannot matter. A read that
/// raced an invalidation is not kept (a generation number, bumped by every invalidation, is compared before and after
/// storing). Redis over TLS, a cluster or several endpoints: the cache stays off.
/// </para>
/// </summary>
public sealed class SessionCache : BackgroundService
{
    /// <summary>Entries kept at most (a clinic has far fewer live sessions); beyond this a session is read from Redis.</summary>
    private const int MaxEntries = 100_000;

    private static readonly byte[] Ping = Resp3.Command("PING");

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly SessionOptions _options;
    private readonly ILogger<SessionCache> _logger;
    private readonly TimeProvider _time;
    private long _generation;
    private long _hits;
    private long _misses;

    // Guarded by _gate.
    private Socket? _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _filled;
    private long _lastPong;
    private long _lastPing;
    private int _pingsOutstanding;
    private bool _wasLive;
    private bool _refusalLogged;

    public SessionCache(IConnectionMultiplexer redis, IOptions<SessionOptions> options, ILogger<SessionCache> logger, TimeProvider time)
    {
        _redis = redis;
        _options = options.Value;
        _logger = logger;
        _time = time;
        ConnectionName = $"drassistant-sessions-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>The client name of the invalidation connection in Redis (<c>CLIENT LIST</c>).</summary>
    public string ConnectionName { get; }

    /// <summary>Whether lookups are answered here (the invalidation connection is up, tracking on, heartbeat fresh).</summary>
    public bool IsLive
    {
        get
        {
            lock (_gate)
            {
                return _socket is not null && HeartbeatFresh();
            }
        }
    }

    /// <summary>Lookups answered here and lookups that read Redis (counts since start, for tests and diagnostics).</summary>
    public (long Hits, long Misses) Counts => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    /// <summary>The cached session, only when the cache can vouch for it (see the class remarks).</summary>
    internal bool TryGet(string sessionId, out Session session)
    {
        lock (_gate)
        {
            if (_socket is not null)
            {
                if (!DrainLocked(out var reason))
                {
                    GoDownLocked(reason);
                }
                else if (HeartbeatFresh() && _sessions.TryGetValue(sessionId, out session!))
                {
                    Interlocked.Increment(ref _hits);
                    return true;
                }
            }
        }

        session = null!;
        Interlocked.Increment(ref _misses);
        return false;
    }

    /// <summary>Taken before reading a session from Redis; <see cref="Store"/> keeps the read only if it is unchanged.</summary>
    internal long Generation => Interlocked.Read(ref _generation);

    /// <summary>Keeps a session read from Redis, unless an invalidation (or a reconnection) came since <paramref name="generation"/>.</summary>
    internal void Store(string sessionId, Session session, long generation)
    {
        if (!_options.LocalCache || Generation != generation || _sessions.Count >= MaxEntries)
        {
            return;
        }

        _sessions[sessionId] = session;
        // An invalidation bumps the generation before removing: either it sees this entry and removes it, or this sees
        // the new generation and removes it itself.
        if (Generation != generation)
        {
            _sessions.TryRemove(KeyValuePair.Create(sessionId, session));
        }
    }

    /// <summary>Forgets a session this process ended or found expired (its invalidation follows anyway).</summary>
    internal void Forget(string sessionId)
    {
        Interlocked.Increment(ref _generation);
        _sessions.TryRemove(sessionId, out _);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.LocalCache)
        {
            _logger.LogInformation("Sessions:LocalCache is off: every request reads its session from Redis.");
            return Task.CompletedTask;
        }

        // A thread of its own: it waits on the socket, and must run even when the thread pool is saturated.
        return Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        lock (_gate)
        {
            GoDownLocked(reason: null);
        }
    }

    private void Run(CancellationToken stopping)
    {
        var retry = TimeSpan.FromMilliseconds(100);
        while (!stopping.IsCancellationRequested)
        {
            Socket? socket;
            try
            {
                socket = Connect(stopping);
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or FormatException or OperationCanceledException or InvalidOperationException)
            {
                if (!stopping.IsCancellationRequested)
                {
                    _logger.LogDebug("The session invalidation connection to Redis could not be opened ({Reason}); retrying in {Retry}.", ex.Message, retry);
                }

                socket = null;
            }

            if (socket is null)
            {
                stopping.WaitHandle.WaitOne(retry);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                continue;
            }

            retry = TimeSpan.FromMilliseconds(100);
            Listen(socket, stopping);
        }
    }

    /// <summary>Waits for the socket (or the next heartbeat) and drains it, until the connection is lost or the host stops.</summary>
    private void Listen(Socket socket, CancellationToken stopping)
    {
        var heartbeat = _options.InvalidationHeartbeat;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                socket.Poll((int)Math.Max(1_000, heartbeat.TotalMicroseconds), SelectMode.SelectRead);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // Drained below: the same error ends the connection there.
            }

            lock (_gate)
            {
                if (!ReferenceEquals(_socket, socket))
                {
                    return;
                }

                if (!DrainLocked(out var reason))
                {
                    GoDownLocked(reason);
                    return;
                }

                var now = _time.GetTimestamp();
                if (_time.GetElapsedTime(_lastPing, now) < heartbeat)
                {
                    continue;
                }

                // A connection that stopped answering altogether (a host gone without a reset) is dropped and opened again.
                if (_pingsOutstanding > 0 && _time.GetElapsedTime(_lastPong, now) > heartbeat * 20)
                {
                    GoDownLocked("Redis did not answer the heartbeat");
                    return;
                }

                if (!SendLocked(Ping))
                {
                    GoDownLocked("the heartbeat could not be sent");
                    return;
                }

                _pingsOutstanding++;
                _lastPing = now;
            }
        }
    }

    /// <summary>Opens the invalidation connection: RESP3, authenticated as the sessions' Redis client is, tracking on.</summary>
    private Socket? Connect(CancellationToken stopping)
    {
        var options = ConfigurationOptions.Parse(_redis.Configuration);
        if (options.EndPoints.Count != 1 || options.Ssl || !string.IsNullOrEmpty(options.ServiceName))
        {
            _logger.LogInformation("Sessions are read from Redis on every request: the local session cache supports a single Redis " +
                                   "endpoint without TLS (this one has {EndPoints} endpoint(s), TLS {Tls}).", options.EndPoints.Count, options.Ssl);
            stopping.WaitHandle.WaitOne(Timeout.InfiniteTimeSpan);
            return null;
        }

        var timeout = TimeSpan.FromMilliseconds(Math.Max(500, options.ConnectTimeout));
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                connecting.CancelAfter(timeout);
                socket.ConnectAsync(options.EndPoints[0], connecting.Token).AsTask().GetAwaiter().GetResult();
            }

            socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
            socket.SendTimeout = (int)timeout.TotalMilliseconds;
            string[] hello = options.Password is { Length: > 0 } password
                ? ["HELLO", "3", "AUTH", options.User ?? "default", password, "SETNAME", ConnectionName]
                : ["HELLO", "3", "SETNAME", ConnectionName];
            if (Handshake(socket, Resp3.Command(hello)) is Resp3Error helloRefused)
            {
                Refused("HELLO 3", helloRefused);
                socket.Dispose();
                return null;
            }

            // Every key under session:, whoever changes it; no per-read bookkeeping on the server.
            if (Handshake(socket, Resp3.Command("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", SessionStore.SessionKey(string.Empty)))
                is not "OK" and var trackingRefused)
            {
                Refused("CLIENT TRACKING", trackingRefused as Resp3Error ?? new Resp3Error($"{trackingRefused}"));
                socket.Dispose();
                return null;
            }

            socket.Blocking = false;
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        lock (_gate)
        {
            // Whatever was cached before may have missed invalidations: start empty.
            Interlocked.Increment(ref _generation);
            _sessions.Clear();
            _socket = socket;
            _filled = 0;
            _pingsOutstanding = 0;
            _lastPong = _lastPing = _time.GetTimestamp();
        }

        _logger.Log(_wasLive ? LogLevel.Warning : LogLevel.Information,
            "Sessions are looked up in this process again, kept current by Redis client tracking (connection {Name}).", ConnectionName);
        _wasLive = true;
        return socket;
    }

    private void Refused(string command, Resp3Error error)
    {
        if (_refusalLogged)
        {
            return;
        }

        _refusalLogged = true;
        _logger.LogWarning("Redis refused {Command} ({Error}): the local session cache needs Redis 6 or later and the right to run it; " +
                           "every request reads its session from Redis meanwhile.", command, error.Message);
    }

    /// <summary>Sends a command and reads its reply, blocking (before the connection is switched to non-blocking).</summary>
    private static object? Handshake(Socket socket, byte[] command)
    {
        socket.Send(command);
        var buffer = new byte[4096];
        var filled = 0;
        while (true)
        {
            if (Resp3.TryRead(buffer.AsSpan(0, filled), out var reply, out _))
            {
                return reply;
            }

            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("Redis closed the connection.");
            }

            filled += read;
        }
    }

    /// <summary>Reads and applies everything the socket holds; false (with the reason) when the connection is broken.</summary>
    private bool DrainLocked(out string reason)
    {
        reason = string.Empty;
        var socket = _socket!;
        try
        {
            while (socket.Poll(0, SelectMode.SelectRead))
            {
                if (_filled == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }

                var read = socket.Receive(_buffer, _filled, _buffer.Length - _filled, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    return true;
                }

                if (error != SocketError.Success || read == 0)
                {
                    reason = error == SocketError.Success ? "Redis closed the connection" : $"socket error {error}";
                    return false;
                }

                _filled += read;
                ApplyLocked();
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or FormatException)
        {
            reason = ex.Message;
            return false;
        }
    }

    private void ApplyLocked()
    {
        var offset = 0;
        while (Resp3.TryRead(_buffer.AsSpan(offset, _filled - offset), out var message, out var used))
        {
            offset += used;
            switch (message)
            {
                case Resp3Push { Items: [string kind, var keys] } when kind == "invalidate":
                    if (keys is List<object?> names)
                    {
                        foreach (var name in names.OfType<string>())
                        {
                            Forget(name[SessionStore.SessionKey(string.Empty).Length..]);
                        }
                    }
                    else
                    {
                        // A null list: the whole keyspace was flushed.
                        Interlocked.Increment(ref _generation);
                        _sessions.Clear();
                    }

                    break;
                case "PONG":
                    _pingsOutstanding = Math.Max(0, _pingsOutstanding - 1);
                    _lastPong = _time.GetTimestamp();
                    break;
                case Resp3Error error:
                    throw new FormatException($"Redis answered the invalidation connection with an error: {error.Message}");
            }
        }

        _buffer.AsSpan(offset, _filled - offset).CopyTo(_buffer);
        _filled -= offset;
    }

    private bool SendLocked(byte[] command)
    {
        try
        {
            return _socket!.Send(command, SocketFlags.None, out var error) == command.Length && error == SocketError.Success;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Redis answered a heartbeat lately: nothing sent before that answer is still unread.</summary>
    private bool HeartbeatFresh() => _time.GetElapsedTime(_lastPong) <= _options.InvalidationHeartbeat * 4;

    private void GoDownLocked(string? reason)
    {
        if (_socket is null)
        {
            return;
        }

        Interlocked.Increment(ref _generation);
        _sessions.Clear();
        _socket.Dispose();
        _socket = null;
        if (reason is not null)
        {
            _logger.LogWarning("The session invalidation connection to Redis was lost ({Reason}): every request reads its session from " +
                               "Redis until it is back.", reason);
        }
    }
}
