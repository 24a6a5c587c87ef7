using System.Reflection;
using DrAssistant.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;
using MongoDB.Bson;

namespace DrAssistant.Api.Notes;

/// <summary>A request argument that checks itself before any store is asked (a body, a precondition).</summary>
public interface IRequestCheck
{
    /// <summary>Adds what is wrong with it, by field, to <paramref name="validation"/>.</summary>
    void Check(Validation validation);
}

/// <summary>
/// The id of a MongoDB document in a route. Always binds: an id that is not an ObjectId is kept as such, so the route
/// group answers 404 (as for an id that does not exist) after authentication and permissions, never a 400.
/// </summary>
public readonly record struct DocumentId(ObjectId Value, bool IsValid)
{
    public static bool TryParse(string? text, out DocumentId id)
    {
        id = ObjectId.TryParse(text, out var value) ? new DocumentId(value, true) : default;
        return true;
    }

    public override string ToString() => Value.ToString();
}

/// <summary>
/// <c>If-Match</c> as a note's changes read it (see <see cref="NotesRules.ParseIfMatch"/>): bound from the header, so a
/// handler gets the version it names. Missing is a 428, malformed a field of the 422, both said by the route group.
/// </summary>
public sealed record IfMatch(Precondition Precondition, int Version) : IRequestCheck
{
    public const string HeaderName = "If-Match";

    /// <summary>Always binds (a missing or malformed header is the group's answer, not the binder's 400).</summary>
    public static ValueTask<IfMatch?> BindAsync(HttpContext context)
    {
        var precondition = NotesRules.ParseIfMatch(context.Request.Headers[HeaderName], out var version);
        return ValueTask.FromResult<IfMatch?>(new IfMatch(precondition, version));
    }

    public void Check(Validation validation) => NotesRules.CheckIfMatch(validation, Precondition);
}

/// <summary>
/// What every notes and recordings endpoint does before its own logic, as one filter on the route group: an id that is
/// not an ObjectId finds nothing (404); the arguments that check themselves name every bad field at once (422); a
/// change without <c>If-Match</c> is refused (428); a store that is not configured answers 503 where the handler first
/// needs it (so a request is still checked without MongoDB); a write MongoDB's validator refuses is a 422 naming the field.
/// </summary>
public static class NotesEndpoints
{
    public static RouteGroupBuilder WithNotesPreamble(this RouteGroupBuilder group)
    {
        // The document describes both as the strings they are on the wire (a parameter bound by BindAsync, as If-Match
        // is, is not described by the generator at all).
        group.AddOpenApiOperationTransformer((operation, context, _) =>
        {
            var parameters = context.Description.ActionDescriptor.EndpointMetadata.OfType<MethodInfo>().SelectMany(h => h.GetParameters()).ToList();
            foreach (var id in parameters.Where(p => p.ParameterType == typeof(DocumentId)))
            {
                if (operation.Parameters?.FirstOrDefault(p => p.Name == id.Name && p.In == ParameterLocation.Path) is OpenApiParameter path)
                {
                    path.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "An ObjectId (24 hexadecimal digits); any other id finds nothing." };
                }
            }

            if (parameters.Any(p => p.ParameterType == typeof(IfMatch)))
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = IfMatch.HeaderName,
                    In = ParameterLocation.Header,
                    Description = "The ETag of the version changed, as read (e.g. \"3\"); without it the change is refused (428).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
            }

            return Task.CompletedTask;
        });
        group.WithDocumentRefusals().AddEndpointFilterFactory((factory, next) =>
        {
            // Which arguments to look at is known per endpoint: read once here, not per request.
            var parameters = factory.MethodInfo.GetParameters();
            var ids = Indexes(parameters, p => p.ParameterType == typeof(DocumentId));
            var checks = Indexes(parameters, p => typeof(IRequestCheck).IsAssignableFrom(p.ParameterType));
            var preconditions = Indexes(parameters, p => p.ParameterType == typeof(IfMatch));
            return async context =>
            {
                if (ids.Any(i => context.GetArgument<DocumentId>(i) is { IsValid: false }))
                {
                    return TypedResults.NotFound();
                }

                var validation = new Validation();
                foreach (var i in checks)
                {
                    context.GetArgument<IRequestCheck?>(i)?.Check(validation);
                }

                if (!validation.IsValid)
                {
                    return TypedResults.ValidationProblem(validation.Errors);
                }

                if (preconditions.Any(i => context.GetArgument<IfMatch?>(i) is null or { Precondition: Precondition.Missing }))
                {
                    return PreconditionRequired();
                }

                try
                {
                    return await next(context);
                }
                catch (NotesStoreNotConfiguredException)
                {
                    return NotConfigured();
                }
            };
        });
        return group;
    }

    /// <summary>The answer of every notes and recordings endpoint when MongoDB is not configured.</summary>
    public static ProblemHttpResult NotConfigured() => TypedResults.Problem(
        title: "Service unavailable",
        detail: "The clinical notes store is not configured (ConnectionStrings:mongodb).",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    private static ProblemHttpResult PreconditionRequired() => TypedResults.Problem(
        title: "Precondition required",
        detail: "Send If-Match with the note's ETag (from reading it), so a change cannot overwrite a newer version unseen.",
        statusCode: StatusCodes.Status428PreconditionRequired);

    private static int[] Indexes(ParameterInfo[] parameters, Func<ParameterInfo, bool> which) =>
        [.. parameters.Where(which).Select(p => p.Position)];
}
