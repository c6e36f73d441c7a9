import Deterministic
import Language
import Training

extension NeuroLLM {
    /// Text from the current weights (all layers held here): the prompt's bytes after bos, then
    /// tokens drawn by `options` (temperature, top-k, top-p, stop strings, max tokens).
    public func generate(_ params: LayerParameters, prompt: String, options: GenerationOptions,
                         rng: inout DeterministicRNG) throws(ModelError) -> Generation {
        var options = options
        options.contextLength = min(options.contextLength ?? config.contextLength, config.contextLength)
        do {
            return try Language.generate(prompt: prompt, options: options, rng: &rng) { context in
                try nextTokenLogits(params, context: context)
            }
        } catch let error as ModelError {
            throw error
        } catch {
            preconditionFailure("nextTokenLogits throws ModelError only")
        }
    }
}
