using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using MongoDB.Driver;
using Npgsql;

namespace DrAssistant.Api.Infrastructure;

/// <summary>
/// The last line: whatever escaped a handler becomes a ProblemDetails with the right status. A malformed body is
/// the client's 400 (naming the JSON path), a database refusal is a 400/409, an unreachable database is a 503 the
/// client may retry; only what nobody expected is a 500.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problemDetails, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            // Named fields and rules, never the binder's or serializer's own words (they name .NET types).
            BadHttpRequestException bad => BadRequests.Describe(bad, context.Features.Get<IExceptionHandlerFeature>()?.Endpoint),
            PostgresException postgres when DbErrors.IsConflict(postgres) => DbErrors.Conflict(postgres).Value,
            PostgresException postgres when DbErrors.IsInvalid(postgres) => DbErrors.Invalid(postgres).ProblemDetails,
            PostgresException { SqlState: "57014" } => Unavailable("The database did not answer in time."),
            // MongoDB (clinical notes): no server reachable within Mongo:ServerSelectionTimeoutSeconds, or a connection lost.
            MongoConnectionException or MongoExecutionTimeoutException => Unavailable("The clinical notes store is unavailable."),
            TimeoutException when exception.Source == "MongoDB.Driver" => Unavailable("The clinical notes store is unavailable."),
            NpgsqlException or TimeoutException or SocketException => Unavailable("The database is unavailable."),
            _ => null,
        };

        if (problem is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "An unexpected error occurred." };
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning("{Method} {Path}: {Reason}", context.Request.Method, context.Request.Path, exception.Message);
            context.Response.Headers.RetryAfter = "5";
        }

        context.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Unavailable(string detail) =>
        new() { Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = detail };
}
