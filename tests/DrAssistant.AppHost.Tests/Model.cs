using System.Text.Json;

namespace DrAssistant.AppHost.Tests;

/// <summary>The AppHost's application model, built (never started) or published, for the model tests.</summary>
internal static class Model
{
    /// <summary>The model as run mode builds it with these arguments.</summary>
    public static async Task<IResourceCollection> BuildAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(args);
        return builder.Resources;
    }

    /// <summary>The <c>resources</c> of the deployment manifest that publish mode writes with these arguments.</summary>
    public static async Task<JsonElement> PublishAsync(params string[] args)
    {
        var path = Path.Combine(Path.GetTempPath(), $"drassistant-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(
                ["--publisher", "manifest", "--output-path", path, .. args]);
            await using (var app = await builder.BuildAsync())
            {
                await app.RunAsync();
            }

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            return manifest.RootElement.GetProperty("resources").Clone();
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The command-line arguments the resource is given, as its callbacks produce them.</summary>
    public static async Task<string[]> ArgumentsOfAsync(IResource resource)
    {
        var arguments = new List<object>();
        var context = new CommandLineArgsCallbackContext(arguments, resource, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. arguments.Select(a => a.ToString()!)];
    }
}
