/**
 * The `nn.init` namespace: initializer classes, called with a shape.
 * @example new nn.init.KaimingNormal().call([3, 4])
 */
export {
  Initializer, Constant, Normal, Uniform, VarianceScaling, KaimingNormal, KaimingUniform, XavierNormal, XavierUniform, Orthogonal,
  computeFans, type InitLike, type InitOptions, type FanMode, type Distribution, type VarianceScalingOptions,
} from "./init.js";
