namespace DrAssistant.AppHost.Tests;

/// <summary>The AppHost gives the demo seeder nothing that weakens its refusals (environment, or an override).</summary>
public class DemoDataSafetyTests
{
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task TheSeederRunsInTheAppHostsOwnEnvironmentWithoutTheOverride(string environment)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.DrAssistant_AppHost>(
            [$"--environment={environment}", "--DemoData:Enabled=true"]);
        var seeder = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == ResourceNames.Seeder));

        var variables = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), seeder, variables);
        foreach (var callback in seeder.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        var arguments = new List<object>();
        var argumentsContext = new CommandLineArgsCallbackContext(arguments, seeder, CancellationToken.None);
        foreach (var callback in seeder.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(argumentsContext);
        }

        Assert.Equal(environment, variables["DOTNET_ENVIRONMENT"]?.ToString());
        Assert.DoesNotContain(arguments, a => a.ToString()!.Contains("allow-outside-development", StringComparison.Ordinal));
    }
}
