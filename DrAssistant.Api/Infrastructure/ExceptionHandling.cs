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
            // The request's data (class 22, 23): 400 or 409, never an outage.
            PostgresException postgres when DbErrors.IsRequestError(postgres) => DbErrors.Problem(postgres),
            PostgresException postgres when DbErrors.IsContention(postgres) =>
                Problems.Conflict("The record was changed by another request at the same time; try again.").Value,
            PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => Unavailable("The database did not answer in time."),
            PostgresException postgres when DbErrors.IsUnavailable(postgres) => Unavailable("The database is unavailable."),
            // Any other refusal by the server (a bad statement of ours) is a defect: a 500, not an outage to retry.
            PostgresException => null,
            // MongoDB (clinical notes): no server reachable within Mongo:ServerSelectionTimeoutSeconds, or a connection lost.
            MongoConnectionException or MongoExecutionTimeoutException => Unavailable("The clinical notes store is unavailable."),
            TimeoutException when exception.Source == "MongoDB.Driver" => Unavailable("The clinical notes store is unavailable."),
            // Or its schema step not read yet (it has not answered since this instance started): the same to a client.
            NotesSchemaUnverifiedException => Unavailable("The clinical notes store is unavailable."),
            // Only connection failures and timeouts (no answer from the server at all) are a 503.
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
