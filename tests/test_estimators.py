from sklearn.utils.estimator_checks import parametrize_with_checks
from plainnet.estimators import MLPClassifier, MLPRegressor

@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
