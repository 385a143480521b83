" Vim syntax file for netc specs (.net): docs/language.md is the reference.
" Install: copy editors/vim/syntax and editors/vim/ftdetect into ~/.vim/
" (or add editors/vim to 'runtimepath').
if exists('b:current_syntax')
    finish
endif

syntax case match

" Statement keywords (reserved) and the words that open and close a block.
syntax keyword netcStatement network precision input dense dropout loss regularize
syntax keyword netcStatement activation feature param const output
syntax keyword netcBlock train end

" Words with a meaning where they appear (ordinary identifiers otherwise).
syntax keyword netcActivation linear step sigmoid tanh relu leaky_relu elu softplus maxout softmax
syntax keyword netcLoss mse mae bce cross_entropy hinge
syntax keyword netcOptimizer sgd nesterov adagrad rmsprop adadelta adam adamw lbfgs
syntax keyword netcTrainItem optimizer lr momentum batch epochs seed scale schedule clip
syntax keyword netcTrainItem patience validation
syntax keyword netcOption bias nobias from init xavier glorot he uniform zeros
syntax keyword netcOption float double l1 l2 mean sum none standard minmax
syntax keyword netcOption constant every gamma invscaling power cosine
syntax keyword netcFunction exp log sqrt abs min max where concat

" Numbers: 4, 0.5, .5, 1., 1e-4, 2.5E3 (a sign is an operator).
syntax match netcNumber '\<\d\+\(\.\d*\)\=\([eE][-+]\=\d\+\)\=\>'
syntax match netcNumber '\.\d\+\([eE][-+]\=\d\+\)\='
syntax match netcNumber '\<\d\+\.\ze\_W'

" Operators of formulas, and = of options and definitions.
syntax match netcOperator '[-+*/^=<>!]'
syntax match netcOperator '[<>=!]='

" key=value: the key.
syntax match netcKey '\<\h\w*\ze\s*=[^=]'

syntax match netcComment '#.*$' contains=netcTodo,@Spell
syntax keyword netcTodo TODO FIXME XXX NOTE contained

highlight default link netcStatement Statement
highlight default link netcBlock Statement
highlight default link netcActivation Type
highlight default link netcLoss Type
highlight default link netcOptimizer Type
highlight default link netcTrainItem Identifier
highlight default link netcOption Constant
highlight default link netcFunction Function
highlight default link netcNumber Number
highlight default link netcOperator Operator
highlight default link netcKey Identifier
highlight default link netcComment Comment
highlight default link netcTodo Todo

let b:current_syntax = 'netc'
