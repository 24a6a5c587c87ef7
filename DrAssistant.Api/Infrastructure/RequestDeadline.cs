using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Mvc;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// Every request ends within its time limit (by default <c>Database:CommandTimeoutSeconds</c>), answering 503
/// ProblemDetails with <c>Retry-After</c> when its work did not finish, even when PostgreSQL hangs (SIGSTOP, a frozen
/// host) rather than fails.
/// <para>
/// The limit is configured and opted out of the ASP.NET Core way (<c>AddRequestTimeouts</c>'s default policy,
/// <c>[RequestTimeout]</c>, <c>.DisableRequestTimeout()</c> on an endpoint), but ASP.NET Core's own middleware cannot
/// keep it here: it cancels the request's token on a timer thread and answers only once the handler has returned.
/// Npgsql reacts to that cancellation by sending PostgreSQL a cancel request synchronously, on the cancelling thread:
/// on a frozen server that request's connection opens (the kernel accepts it) and then waits, up to the connect timeout,
/// for an answer that never comes, and only then does Npgsql give up the command after its Cancellation Timeout. The
/// request would end 5–7 s late, and every timed-out request would hold a thread-pool thread meanwhile.
/// </para>
/// <para>
/// So at the limit this middleware cancels the request's token on a thread of its own, lets the handler end by itself
/// for <see cref="Grace"/> (a live server cancels a statement in milliseconds, and the usual 503 follows), and
/// otherwise answers 503 itself and keeps the handler away from the response: the handler's later writes are dropped,
/// and whatever it throws when Npgsql finally gives up is logged, not answered.
/// </para>
/// </summary>
public sealed class RequestDeadline(RequestDelegate next, IOptions<RequestTimeoutOptions> options, ILogger<RequestDeadline> logger)
{
    /// <summary>How long a handler may take to end by itself once its time is up.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(400);

    /// <summary>Registers the default time limit (a standard <see cref="RequestTimeoutOptions"/> default policy).</summary>
    public static void AddDefaultLimit(IServiceCollection services, TimeSpan limit) =>
        services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy { Timeout = limit, TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable });

    public async Task InvokeAsync(HttpContext context)
    {
        if (LimitOf(context.GetEndpoint()) is not { } limit || context.RequestAborted.IsCancellationRequested)
        {
            await next(context);
            return;
        }

        var clientToken = context.RequestAborted;
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(clientToken);
        Task? canceller = null;
        using var clock = CancellationTokenSource.CreateLinkedTokenSource(clientToken);
        var responseFeature = context.Features.GetRequiredFeature<IHttpResponseFeature>();
        var bodyFeature = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var gate = new ResponseGate(responseFeature, bodyFeature);
        context.RequestAborted = cancellation.Token;
        context.Features.Set<IHttpResponseFeature>(gate);
        context.Features.Set<IHttpResponseBodyFeature>(gate);
        var timedOut = false;
        try
        {
            var work = next(context);
            if (await Task.WhenAny(work, Task.Delay(limit, clock.Token)) != work && !clientToken.IsCancellationRequested)
            {
                timedOut = true;
                canceller = CancelOnItsOwnThread(cancellation);
                if (await Task.WhenAny(work, Task.Delay(Grace)) != work && gate.TryClaim())
                {
                    logger.LogWarning("{Method} {Path} did not finish within {Limit} s; answered 503 while it ends.",
                        context.Request.Method, context.Request.Path, limit.TotalSeconds);
                    await WriteUnavailableAsync(context, responseFeature, bodyFeature, limit);
                    await EndQuietlyAsync(work, context);
                    return;
                }
            }

            await work;
        }
        catch (OperationCanceledException) when (timedOut && !clientToken.IsCancellationRequested && !gate.Claimed && !responseFeature.HasStarted)
        {
            // The handler gave up because its time was up: the same 503.
            await WriteUnavailableAsync(context, responseFeature, bodyFeature, limit);
        }
        finally
        {
            await clock.CancelAsync();
            if (!gate.Claimed)
            {
                context.Features.Set(responseFeature);
                context.Features.Set(bodyFeature);
            }

            context.RequestAborted = clientToken;
            // Disposed only once its cancellation (which may block on Npgsql's cancel request) has run.
            if (canceller is null)
            {
                cancellation.Dispose();
            }
            else
            {
                _ = canceller.ContinueWith(_ => cancellation.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The endpoint's limit, as ASP.NET Core's request timeouts would choose it; null when it has none.</summary>
    private TimeSpan? LimitOf(Endpoint? endpoint)
    {
        if (Debugger.IsAttached || endpoint?.Metadata.GetMetadata<DisableRequestTimeoutAttribute>() is not null)
        {
            return null;
        }

        var attribute = endpoint?.Metadata.GetMetadata<RequestTimeoutAttribute>();
        var limit = endpoint?.Metadata.GetMetadata<RequestTimeoutPolicy>()?.Timeout
                    ?? attribute?.Timeout
                    ?? (attribute?.PolicyName is { } name ? options.Value.Policies[name].Timeout : null)
                    ?? options.Value.DefaultPolicy?.Timeout;
        return limit is { } value && value > TimeSpan.Zero && value != Timeout.InfiniteTimeSpan ? value : null;
    }

    /// <summary>
    /// Cancels without blocking a thread-pool thread: Npgsql's callback sends PostgreSQL a cancel request synchronously,
    /// which on a frozen server waits up to the connect timeout.
    /// </summary>
    private Task CancelOnItsOwnThread(CancellationTokenSource cancellation) =>
        Task.Factory.StartNew(() =>
        {
            try
            {
                cancellation.Cancel();
            }
            catch (Exception ex) when (ex is AggregateException or ObjectDisposedException)
            {
                logger.LogDebug(ex, "Cancelling a request past its time limit failed.");
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Waits for a handler that was answered for; what it throws as it ends is expected, so it is only logged.</summary>
    private async Task EndQuietlyAsync(Task work, HttpContext context)
    {
        try
        {
            await work;
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "{Method} {Path} ended after its 503 was sent.", context.Request.Method, context.Request.Path);
        }
    }

    private static async Task WriteUnavailableAsync(HttpContext context, IHttpResponseFeature response, IHttpResponseBodyFeature body, TimeSpan limit)
    {
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "Service unavailable",
            Detail = $"The request did not finish within its time limit ({limit.TotalSeconds:0.#} s); a store did not answer in time.",
            Instance = context.Request.Path,
        };
        problem.Extensions["traceId"] = Activity.Current?.Id ?? context.TraceIdentifier;
        var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(problem, json);

        // Written straight to the server's own features: the handler may still hold the request's HttpResponse.
        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.Headers.ContentType = "application/problem+json";
        response.Headers.ContentLength = bytes.Length;
        response.Headers.RetryAfter = "5";
        response.Headers.Location = default;
        await body.Writer.WriteAsync(bytes);
        await body.CompleteAsync();
    }

    /// <summary>
    /// The response as the handler sees it. Until the handler starts writing a body, the deadline may claim the response;
    /// after that, the handler's status and body are dropped.
    /// </summary>
    private sealed class ResponseGate(IHttpResponseFeature response, IHttpResponseBodyFeature body) : IHttpResponseFeature, IHttpResponseBodyFeature
    {
        private readonly Lock _sync = new();
        private bool _handlerWrites;
        private bool _claimed;

        public bool Claimed
        {
            get
            {
                lock (_sync)
                {
                    return _claimed;
                }
            }
        }

        public bool TryClaim()
        {
            lock (_sync)
            {
                if (_handlerWrites || response.HasStarted)
                {
                    return false;
                }

                _claimed = true;
                return true;
            }
        }

        /// <summary>The handler takes the response for good (unless the deadline already did).</summary>
        private bool Take()
        {
            lock (_sync)
            {
                _handlerWrites = !_claimed;
                return _handlerWrites;
            }
        }

        public int StatusCode
        {
            get => response.StatusCode;
            set
            {
                if (!Claimed)
                {
                    response.StatusCode = value;
                }
            }
        }

        public string? ReasonPhrase
        {
            get => response.ReasonPhrase;
            set
            {
                if (!Claimed)
                {
                    response.ReasonPhrase = value;
                }
            }
        }

        // The server reads the headers through this feature too, so they stay the real ones; once the deadline's answer
        // has started they are read-only, and a late handler changing them fails (and is only logged).
        public IHeaderDictionary Headers
        {
            get => response.Headers;
            set
            {
                if (!Claimed)
                {
                    response.Headers = value;
                }
            }
        }

        [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
        public Stream Body
        {
            get => Stream;
            set
            {
            }
        }

        public bool HasStarted => Claimed || response.HasStarted;

        public void OnStarting(Func<object, Task> callback, object state)
        {
            if (!Claimed)
            {
                response.OnStarting(callback, state);
            }
        }

        public void OnCompleted(Func<object, Task> callback, object state) => response.OnCompleted(callback, state);

        public Stream Stream => Take() ? body.Stream : Stream.Null;

        public PipeWriter Writer => Take() ? body.Writer : PipeWriter.Create(Stream.Null);

        public void DisableBuffering()
        {
            if (!Claimed)
            {
                body.DisableBuffering();
            }
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => Take() ? body.StartAsync(cancellationToken) : Task.CompletedTask;

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            Take() ? body.SendFileAsync(path, offset, count, cancellationToken) : Task.CompletedTask;

        public Task CompleteAsync() => Take() ? body.CompleteAsync() : Task.CompletedTask;
    }
}
