//===- LinalgBuilder.cpp - Building linalg.generic ops concisely ----------===//

#include "LinalgBuilder.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace kiln;

RankedTensorType LinalgBuilder::f32Tensor(ArrayRef<int64_t> shape) const {
  return RankedTensorType::get(shape, b.getF32Type());
}

Value LinalgBuilder::f32(double v) const {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v));
}

Value LinalgBuilder::index(int64_t v) const {
  return b.create<arith::ConstantIndexOp>(loc, v);
}

Value LinalgBuilder::empty(ArrayRef<int64_t> shape) const {
  return b.create<tensor::EmptyOp>(loc, shape, b.getF32Type());
}

Value LinalgBuilder::fresh(ArrayRef<int64_t> shape) const {
  return b.create<bufferization::AllocTensorOp>(
      loc, RankedTensorType::get(shape, b.getF32Type()), ValueRange{});
}

Value LinalgBuilder::freshFilled(ArrayRef<int64_t> shape, double v) const {
  return b.create<linalg::FillOp>(loc, f32(v), fresh(shape)).getResult(0);
}

Value LinalgBuilder::filled(ArrayRef<int64_t> shape, double v) const {
  return b.create<linalg::FillOp>(loc, f32(v), empty(shape)).getResult(0);
}

AffineMap LinalgBuilder::broadcastMap(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> resultShape) const {
  assert(shape.size() <= resultShape.size() && "operand outranks the result");
  unsigned offset = resultShape.size() - shape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (size == 1 && resultShape[offset + i] != 1)
      exprs.push_back(b.getAffineConstantExpr(0));
    else
      exprs.push_back(b.getAffineDimExpr(offset + i));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, b.getContext());
}

SmallVector<Value>
LinalgBuilder::generic(ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                       ValueRange inits, ArrayRef<AffineMap> initMaps,
                       ArrayRef<utils::IteratorType> iterators,
                       ScalarsFn fn) const {
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(initMaps.begin(), initMaps.end());
  auto op = b.create<linalg::GenericOp>(
      loc, ValueRange(inits).getTypes(), inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        nb.create<linalg::YieldOp>(nloc, fn(nb, nloc, args));
      });
  return SmallVector<Value>(op.getResults());
}

Value LinalgBuilder::map(ArrayRef<int64_t> resultShape, ValueRange inputs,
                         ScalarFn fn, Value into) const {
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(
        cast<RankedTensorType>(input.getType()).getShape(), resultShape));
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(resultShape.size(), b.getContext());
  SmallVector<utils::IteratorType> iterators(resultShape.size(),
                                             utils::IteratorType::parallel);
  return generic(inputs, maps, into ? into : empty(resultShape), identity,
                 iterators,
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   return SmallVector<Value>{fn(nb, nloc, args.drop_back())};
                 })
      .front();
}

AffineMap LinalgBuilder::rowMap() const {
  return AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext());
}

AffineMap LinalgBuilder::columnMap() const {
  return AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext());
}

SmallVector<Value> LinalgBuilder::reduce2DMulti(ValueRange inputs,
                                                ValueRange perResult,
                                                bool overRows,
                                                ArrayRef<double> inits,
                                                ScalarsFn fn) const {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(inputs.front().getType()).getShape();
  int64_t resultSize = overRows ? shape[1] : shape[0];
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, b.getContext());
  AffineMap resultMap = overRows ? columnMap() : rowMap();
  SmallVector<Value> operands(inputs);
  SmallVector<AffineMap> maps(inputs.size(), identity);
  for (Value v : perResult) {
    operands.push_back(v);
    maps.push_back(resultMap);
  }
  SmallVector<Value> initValues;
  for (double init : inits)
    initValues.push_back(filled({resultSize}, init));
  SmallVector<AffineMap> initMaps(inits.size(), resultMap);
  SmallVector<utils::IteratorType> iterators = {
      overRows ? utils::IteratorType::reduction : utils::IteratorType::parallel,
      overRows ? utils::IteratorType::parallel
               : utils::IteratorType::reduction};
  return generic(operands, maps, initValues, initMaps, iterators, fn);
}

Value LinalgBuilder::reduce2D(ValueRange inputs, ValueRange perResult,
                              bool overRows, double init, ScalarFn fn) const {
  return reduce2DMulti(inputs, perResult, overRows, {init},
                       [&](OpBuilder &nb, Location nloc, ValueRange args) {
                         return SmallVector<Value>{fn(nb, nloc, args)};
                       })
      .front();
}

Value LinalgBuilder::sumAll(Value input) const {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  AffineMap scalar = AffineMap::get(rank, 0, {}, b.getContext());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  return generic(input, identity, filled({}, 0.0), scalar, iterators,
                 [](OpBuilder &nb, Location nloc, ValueRange args) {
                   return SmallVector<Value>{
                       nb.create<arith::AddFOp>(nloc, args[0], args[1])};
                 })
      .front();
}
